// Cluster resilience in the config: outlier detection, slow start, panic threshold, circuit
// breaker, retry policy (a cluster's, and a route's that replaces it).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "cluster_fixture.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

// A route's own retry policy; a failure when it has none.
RetryPolicy route_retry(const Route& route) {
  const auto& proxy = std::get<ProxyAction>(route.action);
  if (!proxy.retry) {
    ADD_FAILURE() << "the route has no retry of its own";
    return {};
  }
  return *proxy.retry;
}

TEST(ClusterResilienceConfigTest, DefaultsWhenLeftOut) {
  const ConfigPtr config = load_clusters_ok("  - { name: a, endpoints: [127.0.0.1:1] }\n");
  ASSERT_NE(config, nullptr);
  const Cluster& cluster = config->clusters.at(0);
  EXPECT_EQ(cluster.outlier_detection.consecutive_5xx, 0U);
  EXPECT_EQ(cluster.outlier_detection.consecutive_gateway_errors, 5U);
  EXPECT_EQ(cluster.outlier_detection.base_ejection_time, Duration{30'000});
  EXPECT_EQ(cluster.outlier_detection.max_ejection_time, Duration{300'000});
  EXPECT_EQ(cluster.outlier_detection.max_ejection_percent, 50U);
  EXPECT_EQ(cluster.slow_start, Duration{0});
  EXPECT_EQ(cluster.min_slow_start_percent, 10U);
  EXPECT_EQ(cluster.panic_threshold_percent, 50U);
  EXPECT_EQ(cluster.circuit_breaker.max_connections, 0U);
  EXPECT_EQ(cluster.circuit_breaker.max_retries, 3U);
  EXPECT_EQ(cluster.circuit_breaker.retry_after, Duration{1'000});
  const RetryPolicy& retry = cluster.retry;
  EXPECT_EQ(retry.retries, 1U);
  EXPECT_TRUE(retry.on_connect_failure);
  EXPECT_TRUE(retry.on_reset);
  EXPECT_FALSE(retry.on_timeout);
  EXPECT_TRUE(retry.on_statuses.empty());
  EXPECT_TRUE(retry.methods.empty());
  EXPECT_FALSE(retry.per_try_timeout);
}

TEST(ClusterResilienceConfigTest, EverySettingIsRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [127.0.0.1:1]
    outlier_detection:
      consecutive_5xx: 7
      consecutive_gateway_errors: 3
      base_ejection_time: 10s
      max_ejection_time: 2m
      max_ejection_percent: 30%
    slow_start: { window: 45s, min_percent: 25 }
    panic_threshold: 0%
    circuit_breaker:
      max_connections: 1000
      max_pending_requests: 100
      max_requests: 2000
      max_retries: 5
      retry_after: 3s
    retry:
      retries: 2
      on: [timeout, 502, 503, 504, 429]
      methods: [GET, POST]
      per_try_timeout: 2s
      backoff: { base: 10ms, max: 1s }
      max_body_bytes: 1MiB
      budget: { percent: 100, min_per_second: 0 }
)");
  ASSERT_NE(config, nullptr);
  const Cluster& cluster = config->clusters.at(0);
  const OutlierDetection& detection = cluster.outlier_detection;
  EXPECT_EQ(detection.consecutive_5xx, 7U);
  EXPECT_EQ(detection.consecutive_gateway_errors, 3U);
  EXPECT_EQ(detection.base_ejection_time, Duration{10'000});
  EXPECT_EQ(detection.max_ejection_time, Duration{120'000});
  EXPECT_EQ(detection.max_ejection_percent, 30U);
  EXPECT_EQ(cluster.slow_start, Duration{45'000});
  EXPECT_EQ(cluster.min_slow_start_percent, 25U);
  EXPECT_EQ(cluster.panic_threshold_percent, 0U);
  const CircuitBreaker& breaker = cluster.circuit_breaker;
  EXPECT_EQ(breaker.max_connections, 1000U);
  EXPECT_EQ(breaker.max_pending_requests, 100U);
  EXPECT_EQ(breaker.max_requests, 2000U);
  EXPECT_EQ(breaker.max_retries, 5U);
  EXPECT_EQ(breaker.retry_after, Duration{3'000});
  const RetryPolicy& retry = cluster.retry;
  EXPECT_EQ(retry.retries, 2U);
  // `on` replaces the defaults: connect failures and resets are not listed, so not retried.
  EXPECT_FALSE(retry.on_connect_failure);
  EXPECT_FALSE(retry.on_reset);
  EXPECT_TRUE(retry.on_timeout);
  EXPECT_THAT(retry.on_statuses, ElementsAre(502, 503, 504, 429));
  EXPECT_THAT(retry.methods, ElementsAre("GET", "POST"));
  EXPECT_EQ(retry.per_try_timeout, Duration{2'000});
  EXPECT_EQ(retry.backoff_base, Duration{10});
  EXPECT_EQ(retry.backoff_max, Duration{1'000});
  EXPECT_EQ(retry.max_body_bytes, 1024U * 1024U);
  EXPECT_EQ(retry.budget_percent, 100U);
  EXPECT_EQ(retry.min_retries_per_second, 0U);
}

TEST(ClusterResilienceConfigTest, OffTurnsEachOff) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [127.0.0.1:1]
    outlier_detection: off
    slow_start: off
    circuit_breaker: off
    retry: off
)");
  ASSERT_NE(config, nullptr);
  const Cluster& cluster = config->clusters.at(0);
  EXPECT_EQ(cluster.outlier_detection.consecutive_5xx, 0U);
  EXPECT_EQ(cluster.outlier_detection.consecutive_gateway_errors, 0U);
  EXPECT_EQ(cluster.slow_start, Duration{0});
  EXPECT_EQ(cluster.circuit_breaker.max_connections, 0U);
  EXPECT_EQ(cluster.circuit_breaker.max_pending_requests, 0U);
  EXPECT_EQ(cluster.circuit_breaker.max_requests, 0U);
  EXPECT_EQ(cluster.circuit_breaker.max_retries, 0U);
  EXPECT_EQ(cluster.retry.retries, 0U);
}

TEST(ClusterResilienceConfigTest, OnlyTheListedConditionsAreRetried) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [127.0.0.1:1]
    retry: { on: [503] }
  - name: b
    endpoints: [127.0.0.1:1]
    retry: { on: [reset] }
)");
  ASSERT_NE(config, nullptr);
  const RetryPolicy& a = config->clusters.at(0).retry;
  EXPECT_FALSE(a.on_connect_failure);
  EXPECT_FALSE(a.on_reset);
  EXPECT_FALSE(a.on_timeout);
  EXPECT_THAT(a.on_statuses, ElementsAre(503));
  EXPECT_EQ(a.retries, 1U);
  const RetryPolicy& b = config->clusters.at(1).retry;
  EXPECT_FALSE(b.on_connect_failure);
  EXPECT_TRUE(b.on_reset);
  EXPECT_TRUE(b.on_statuses.empty());
}

TEST(ClusterResilienceConfigTest, OutlierAndSlowStartMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:1]
    outlier_detection:
      consecutive_5xxs: 3
      consecutive_gateway_errors: 1000001
      base_ejection_time: 0s
      max_ejection_percent: 101
    slow_start: { min_percent: 0 }
  - name: b
    endpoints: [127.0.0.1:1]
    outlier_detection: { base_ejection_time: 1m, max_ejection_time: 30s }
    slow_start: { window: 30, min_percent: 0 }
    panic_threshold: 50.5%
  - name: c
    endpoints: [127.0.0.1:1]
    outlier_detection: { base_ejection_time: 10m }
    slow_start: 30s
    panic_threshold: [50]
  - name: d
    endpoints: [127.0.0.1:1]
    outlier_detection: false
)"),
      ElementsAre(
          "t.yaml:5:7: unknown key 'consecutive_5xxs' in outlier_detection\n  hint: did you "
          "mean 'consecutive_5xx'?",
          "t.yaml:6:35: consecutive_gateway_errors: 1000001 is out of range (from 0 to 1000000)",
          "t.yaml:7:27: base_ejection_time: 0s is out of range (from 1ms to 24h)",
          "t.yaml:8:29: max_ejection_percent: '101' is not a percentage from 0% to 100%\n  hint: "
          "write a whole number, with or without '%': 50 or 50%",
          "t.yaml:9:17: slow_start: missing required key 'window'",
          "t.yaml:12:69: max_ejection_time: 30s is less than base_ejection_time (1m)\n  hint: the "
          "nth ejection in a row lasts n x base_ejection_time, up to max_ejection_time",
          "t.yaml:13:27: window: the duration '30' has no unit\n  hint: write 30s for seconds or "
          "30ms for milliseconds",
          "t.yaml:13:44: min_percent: '0' is not a percentage from 1% to 100%\n  hint: write a "
          "whole number, with or without '%': 50 or 50%",
          "t.yaml:14:22: panic_threshold: '50.5%' is not a percentage from 0% to 100%\n  hint: "
          "write a whole number, with or without '%': 50 or 50%",
          "t.yaml:17:46: base_ejection_time: 10m is more than max_ejection_time (5m)\n  hint: the "
          "nth ejection in a row lasts n x base_ejection_time, up to max_ejection_time",
          "t.yaml:18:17: slow_start: expected a map or off, got '30s'",
          "t.yaml:19:22: panic_threshold: expected a percentage such as 50%, got a list",
          "t.yaml:22:24: outlier_detection: expected a map or off, got 'false'\n  hint: write "
          "off to turn it off"));
}

TEST(ClusterResilienceConfigTest, CircuitBreakerMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:1]
    circuit_breaker: { max_connection: 10, max_requests: -1, max_retries: x, retry_after: 500ms }
  - name: b
    endpoints: [127.0.0.1:1]
    circuit_breaker: [max_requests]
)"),
      ElementsAre("t.yaml:4:24: unknown key 'max_connection' in circuit_breaker\n  hint: did "
                  "you mean 'max_connections'?",
                  "t.yaml:4:58: max_requests: expected a whole number, got '-1'",
                  "t.yaml:4:75: max_retries: expected a whole number, got 'x'",
                  "t.yaml:4:91: retry_after: 500ms is out of range (from 1s to 1h)",
                  "t.yaml:7:22: circuit_breaker: expected a map, got a list"));
}

TEST(ClusterResilienceConfigTest, RetryMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:1]
    retry:
      retries: 11
      on: [conect_failure, 503, 404, 503, 5xx, reset, reset]
      methods: [GET, get, GET]
      per_try_timeout: 0ms
      backoff: { base: 100ms, max: 50ms }
      max_body_bytes: 64KB
      budget: { percent: 120, min_per_sec: 1 }
  - name: b
    endpoints: [127.0.0.1:1]
    retry: { on: [], methods: [], backoff: { base: 2s }, retry: 2 }
  - name: c
    endpoints: [127.0.0.1:1]
    retry: { on: timeout, max_body_bytes: 17MiB, backoff: { max: 2m } }
)"),
      ElementsAre(
          "t.yaml:5:16: retries: 11 is out of range (from 0 to 10)",
          "t.yaml:6:12: on[0]: unknown condition 'conect_failure'\n  hint: did you mean "
          "'connect_failure'? (the conditions are: connect_failure, reset, timeout, 429, 500-599)",
          "t.yaml:6:33: on[2]: 404 is not a status to retry on\n  hint: retry on 429 or a 5xx "
          "status (500-599), each listed on its own",
          "t.yaml:6:38: on[3]: 503 is listed twice",
          "t.yaml:6:43: on[4]: 5xx is not a status to retry on\n  hint: retry on 429 or a 5xx "
          "status (500-599), each listed on its own",
          "t.yaml:6:55: on[6]: reset is listed twice",
          "t.yaml:7:22: methods[1]: unknown method 'get'\n  hint: did you mean 'GET'?",
          "t.yaml:7:27: methods[2]: GET is listed twice",
          "t.yaml:8:24: per_try_timeout: 0ms is out of range (from 1ms to 24h)",
          "t.yaml:9:36: max: 50ms is less than base (100ms)\n  hint: the nth retry waits a random "
          "time below base x 2^n, at most max",
          "t.yaml:10:23: max_body_bytes: unknown size unit 'KB' in '64KB'\n  hint: write KiB "
          "(1024 bytes); decimal units are not accepted",
          "t.yaml:11:26: percent: '120' is not a percentage from 0% to 100%\n  hint: write a whole "
          "number, with or without '%': 50 or 50%",
          "t.yaml:11:31: unknown key 'min_per_sec' in budget\n  hint: did you mean "
          "'min_per_second'?",
          "t.yaml:14:18: on: list at least one condition\n  hint: to never retry, write retry: off",
          "t.yaml:14:31: methods: list at least one method, or leave methods out",
          "t.yaml:14:52: base: 2s is more than max (250ms)\n  hint: the nth retry waits a random "
          "time below base x 2^n, at most max",
          "t.yaml:14:58: unknown key 'retry' in retry\n  hint: the keys in retry are: retries, on, "
          "methods, per_try_timeout, backoff, max_body_bytes, budget",
          "t.yaml:17:18: on: expected a list, got 'timeout'",
          "t.yaml:17:43: max_body_bytes: 17MiB is out of range (from 0B to 16MiB)",
          "t.yaml:17:66: max: 2m is out of range (from 1ms to 1m)"));
}

// Routes: the cluster `demo` of match_fixture.h, with the default retry policy.
TEST(RouteRetryConfigTest, ProxyRetryReplacesTheClusters) {
  const LoadResult result = load_routes(R"yaml(          - match: { prefix: /a/ }
            proxy: { cluster: demo, retry: { retries: 3, on: [503], methods: [POST] } }
          - match: { prefix: /b/ }
            proxy: { cluster: demo, retry: off }
          - proxy: { cluster: demo }
)yaml");
  ASSERT_NE(result.config, nullptr) << testing::PrintToString(formatted(result));
  const auto& routes = result.config->listeners.at(0).virtual_hosts.at(0).routes;
  const RetryPolicy a = route_retry(routes.at(0));
  EXPECT_EQ(a.retries, 3U);
  EXPECT_FALSE(a.on_connect_failure);
  EXPECT_THAT(a.on_statuses, ElementsAre(503));
  EXPECT_THAT(a.methods, ElementsAre("POST"));
  EXPECT_EQ(route_retry(routes.at(1)).retries, 0U);
  EXPECT_FALSE(std::get<ProxyAction>(routes.at(2).action).retry);
}

TEST(RouteRetryConfigTest, KeysTheRouteLeavesOutComeFromTheCluster) {
  // The route's retry needs a cluster with a retry of its own: a whole file.
  const LoadResult result = load_config_string(R"(clusters:
  - name: a
    endpoints: [127.0.0.1:1]
    retry: { retries: 4, on: [timeout, 502], per_try_timeout: 3s, backoff: { base: 40ms } }
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: a, retry: { methods: [PUT], backoff: { max: 1s } } }
)",
                                               "t.yaml");
  ASSERT_NE(result.config, nullptr) << testing::PrintToString(formatted(result));
  const RetryPolicy retry =
      route_retry(result.config->listeners.at(0).virtual_hosts.at(0).routes.at(0));
  EXPECT_EQ(retry.retries, 4U);
  EXPECT_TRUE(retry.on_timeout);
  EXPECT_FALSE(retry.on_connect_failure);
  EXPECT_THAT(retry.on_statuses, ElementsAre(502));
  EXPECT_EQ(retry.per_try_timeout, Duration{3'000});
  EXPECT_THAT(retry.methods, ElementsAre("PUT"));
  EXPECT_EQ(retry.backoff_base, Duration{40});
  EXPECT_EQ(retry.backoff_max, Duration{1'000});
}

TEST(RouteRetryConfigTest, ProxyRetryMistakes) {
  const LoadResult result = load_routes(R"yaml(          - match: { prefix: /a/ }
            proxy: { cluster: demo, retry: { retires: 2 } }
          - match: { prefix: /b/ }
            proxy: { cluster: demo, retry: { on: [500, 600], backoff: { max: 10ms } } }
          - proxy: { cluster: demo, retry: no }
)yaml");
  EXPECT_EQ(result.config, nullptr);
  EXPECT_THAT(
      formatted(result),
      ElementsAre("t.yaml:8:46: unknown key 'retires' in retry\n  hint: did you mean 'retries'?",
                  "t.yaml:10:56: on[1]: 600 is not a status to retry on\n  hint: retry on 429 "
                  "or a 5xx status (500-599), each listed on its own",
                  "t.yaml:10:78: max: 10ms is less than base (25ms)\n  hint: the nth retry waits "
                  "a random time below base x 2^n, at most max",
                  "t.yaml:11:44: retry: expected a map or off, got 'no'\n  hint: write off to "
                  "turn it off"));
}

}  // namespace
}  // namespace bulwark::config
