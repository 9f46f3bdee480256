// A cluster's health_check in the config: defaults, every setting, and exact-position errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixture.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

// The health check of cluster `index`, or an empty one and a failure.
const HealthCheck& check_of(const ConfigPtr& config, std::size_t index) {
  static const HealthCheck none;
  const std::optional<HealthCheck>& check = config->clusters.at(index).health_check;
  if (!check) {
    ADD_FAILURE() << "cluster " << index << " has no health check";
    return none;
  }
  return *check;
}

const HealthCheck::Http& http_of(const HealthCheck& check) {
  static const HealthCheck::Http none;
  if (!check.http) {
    ADD_FAILURE() << "the check is not an HTTP check";
    return none;
  }
  return *check.http;
}

std::vector<std::pair<int, int>> pairs(const std::vector<StatusRange>& ranges) {
  std::vector<std::pair<int, int>> out;
  out.reserve(ranges.size());
  for (const StatusRange& range : ranges)
    out.emplace_back(range.low, range.high);
  return out;
}

TEST(HealthCheckConfigTest, NoneByDefault) {
  const ConfigPtr config = load_clusters_ok("  - { name: a, endpoints: [127.0.0.1:1] }\n");
  ASSERT_NE(config, nullptr);
  EXPECT_FALSE(config->clusters.at(0).health_check.has_value());
}

TEST(HealthCheckConfigTest, TcpCheckTakesTheDefaults) {
  const ConfigPtr config =
      load_clusters_ok("  - { name: a, endpoints: [127.0.0.1:1], health_check: { tcp: {} } }\n");
  ASSERT_NE(config, nullptr);
  ASSERT_TRUE(config->clusters.at(0).health_check.has_value());
  const HealthCheck& check = check_of(config, 0);
  EXPECT_FALSE(check.http.has_value());
  EXPECT_EQ(check.interval, Duration{5000});
  EXPECT_EQ(check.timeout, Duration{2000});
  EXPECT_EQ(check.jitter, Duration{0});
  EXPECT_EQ(check.rise, 2U);
  EXPECT_EQ(check.fall, 3U);
}

TEST(HealthCheckConfigTest, HttpCheckDefaults) {
  const ConfigPtr config =
      load_clusters_ok("  - { name: a, endpoints: [127.0.0.1:1], health_check: { http: {} } }\n");
  ASSERT_NE(config, nullptr);
  const HealthCheck::Http& http = http_of(check_of(config, 0));
  EXPECT_EQ(http.method, "GET");
  EXPECT_EQ(http.path, "/");
  EXPECT_EQ(http.host, "");
  EXPECT_THAT(pairs(http.expect_status), ElementsAre(std::pair{200, 399}));
  EXPECT_FALSE(http.body.has_value());
}

TEST(HealthCheckConfigTest, EverySettingIsRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [127.0.0.1:1]
    health_check:
      http:
        path: /healthz?full=1
        method: HEAD
        host: api.example.com
        expect_status: [200-299, 304, 4xx]
      interval: 2s
      timeout: 500ms
      jitter: 10%
      rise: 1
      fall: 5
  - name: b
    endpoints: [127.0.0.1:2]
    health_check:
      http: { body: "ok", expect_status: 204 }
      interval: 1s
      jitter: 250ms
)");
  ASSERT_NE(config, nullptr);
  const HealthCheck& a = check_of(config, 0);
  const HealthCheck::Http& http = http_of(a);
  EXPECT_EQ(http.path, "/healthz?full=1");
  EXPECT_EQ(http.method, "HEAD");
  EXPECT_EQ(http.host, "api.example.com");
  EXPECT_THAT(pairs(http.expect_status),
              ElementsAre(std::pair{200, 299}, std::pair{304, 304}, std::pair{400, 499}));
  EXPECT_EQ(a.interval, Duration{2000});
  EXPECT_EQ(a.timeout, Duration{500});
  EXPECT_EQ(a.jitter, Duration{200});  // 10% of the interval
  EXPECT_EQ(a.rise, 1U);
  EXPECT_EQ(a.fall, 5U);
  const HealthCheck& b = check_of(config, 1);
  EXPECT_EQ(http_of(b).body, "ok");
  EXPECT_THAT(pairs(http_of(b).expect_status), ElementsAre(std::pair{204, 204}));
  EXPECT_EQ(b.jitter, Duration{250});
}

TEST(HealthCheckConfigTest, KindMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - { name: a, endpoints: [127.0.0.1:1], health_check: { interval: 2s } }
  - { name: b, endpoints: [127.0.0.1:1], health_check: { http: {}, tcp: {} } }
  - { name: c, endpoints: [127.0.0.1:1], health_check: { tcp: { port: 80 } } }
  - { name: d, endpoints: [127.0.0.1:1], health_check: { htp: {} } }
  - { name: e, endpoints: [127.0.0.1:1], health_check: /healthz }
)"),
      ElementsAre("t.yaml:2:56: health_check: give exactly one of http, tcp\n  hint: e.g. "
                  "health_check: { http: { path: /healthz } } or health_check: { tcp: {} }",
                  "t.yaml:3:73: health_check: give exactly one of http, tcp\n  hint: e.g. "
                  "health_check: { http: { path: /healthz } } or health_check: { tcp: {} }",
                  "t.yaml:4:63: tcp: a TCP check has no settings; it passes when a connection "
                  "opens\n  hint: write tcp: {}",
                  "t.yaml:5:56: health_check: give exactly one of http, tcp\n  hint: e.g. "
                  "health_check: { http: { path: /healthz } } or health_check: { tcp: {} }",
                  "t.yaml:5:58: unknown key 'htp' in health_check\n  hint: did you mean 'http'?",
                  "t.yaml:6:56: health_check: expected a map, got '/healthz'"));
}

TEST(HealthCheckConfigTest, HttpMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:1]
    health_check:
      http:
        path: healthz
        method: "GE T"
        host: "a b"
        expect_status: [200-199, 600, 2xy]
        body: "ok"
        timeout: 1s
  - name: b
    endpoints: [127.0.0.1:1]
    health_check: { http: { method: HEAD, body: ok, expect_status: [] } }
  - name: c
    endpoints: [127.0.0.1:1]
    health_check: { http: { body: "", path: "/a b" } }
)"),
      ElementsAre(
          "t.yaml:6:15: path: 'healthz' is not a path starting with '/' without spaces, control "
          "characters or '#'\n  hint: e.g. path: /healthz; percent-encode other characters",
          "t.yaml:7:17: method: 'GE T' is not a method\n  hint: e.g. method: GET or method: HEAD",
          "t.yaml:8:15: host: 'a b' is not a host name\n  hint: e.g. host: api.example.com or "
          "host: 10.0.0.1:8080",
          "t.yaml:9:25: expect_status[0]: '200-199' is not a status or a range of statuses from "
          "100 to 599\n  hint: e.g. expect_status: [200-299, 304] or [2xx, 3xx]",
          "t.yaml:9:34: expect_status[1]: '600' is not a status or a range of statuses from 100 "
          "to 599\n  hint: e.g. expect_status: [200-299, 304] or [2xx, 3xx]",
          "t.yaml:9:39: expect_status[2]: '2xy' is not a status or a range of statuses from 100 "
          "to 599\n  hint: e.g. expect_status: [200-299, 304] or [2xx, 3xx]",
          "t.yaml:11:9: unknown key 'timeout' in http\n  hint: the keys in http are: path, "
          "method, host, expect_status, body",
          "t.yaml:14:49: body: a response to HEAD has no body to match\n  hint: use method: GET, "
          "or remove body",
          "t.yaml:14:68: expect_status: no status would pass\n  hint: list at least one, e.g. "
          "expect_status: [200-299]",
          "t.yaml:17:35: body: give from 1 to 4096 characters the body must contain",
          "t.yaml:17:45: path: '/a b' is not a path starting with '/' without spaces, control "
          "characters or '#'\n  hint: e.g. path: /healthz; percent-encode other characters"));
}

TEST(HealthCheckConfigTest, TimingMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:1]
    health_check: { tcp: {}, interval: 50ms, timeout: 0s, rise: 0, fall: 101 }
  - name: b
    endpoints: [127.0.0.1:1]
    health_check: { tcp: {}, interval: 2s, jitter: 3s }
  - name: c
    endpoints: [127.0.0.1:1]
    health_check: { tcp: {}, jitter: 150% }
  - name: d
    endpoints: [127.0.0.1:1]
    health_check: { tcp: {}, interval: 2, jitter: x% }
)"),
      ElementsAre(
          "t.yaml:4:40: interval: 50ms is out of range (from 100ms to 1h)",
          "t.yaml:4:55: timeout: 0s is out of range (from 1ms to 1h)",
          "t.yaml:4:65: rise: 0 is out of range (from 1 to 100)",
          "t.yaml:4:74: fall: 101 is out of range (from 1 to 100)",
          "t.yaml:7:52: jitter: 3s is more than the interval (2s)\n  hint: a share such as "
          "jitter: 10% stays within the interval",
          "t.yaml:10:38: jitter: '150%' is not a share from 0% to 100%",
          "t.yaml:13:40: interval: the duration '2' has no unit\n  hint: write 2s for seconds or "
          "2ms for milliseconds",
          "t.yaml:13:51: jitter: 'x%' is not a share from 0% to 100%"));
}

}  // namespace
}  // namespace bulwark::config
