// /metrics text: HELP and TYPE for every family, counters summed over workers, cumulative
// histogram buckets with _sum and _count, escaped label values.

#include "admin/metrics_exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace bulwark::admin {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(MetricsExpositionTest, CountersAndHistogramsOfSeveralWorkers) {
  core::Metrics metrics(2);
  const core::MetricsSeries api = metrics.series("public", "api", "backend");
  (void)metrics.series("public", "", "");
  metrics.record(0, api,
                 {.status = 200,
                  .duration = milliseconds(20),
                  .body_bytes = 5,
                  .upstream_time = milliseconds(10),
                  .retries = 1});
  metrics.record(1, api, {.status = 404, .duration = milliseconds(300), .body_bytes = 7});
  metrics.reloads_ok.add();
  metrics.record(0, api, core::TlsHandshake::kFull);
  metrics.record(1, api, core::TlsHandshake::kFull);
  metrics.record(1, api, core::TlsHandshake::kFailed);
  const std::vector<EndpointStatus> endpoints{
      {.cluster = "backend", .identity = "127.0.0.1:8001", .healthy = true, .ejections = 2},
      {.cluster = "backend", .identity = "127.0.0.1:8002", .healthy = false}};
  const std::string text =
      format_metrics(metrics, {.active_connections = 3, .endpoints = endpoints});
  const std::vector<std::string> lines = lines_of(text);
  const auto has = [&lines](const std::string& line) {
    return std::ranges::find(lines, line) != lines.end();
  };
  const std::string api_labels = R"(listener="public",route="api",cluster="backend")";
  EXPECT_TRUE(has("# TYPE bulwark_requests_total counter"));
  EXPECT_TRUE(has("bulwark_requests_total{" + api_labels + R"(,status_class="2xx"} 1)"));
  EXPECT_TRUE(has("bulwark_requests_total{" + api_labels + R"(,status_class="4xx"} 1)"));
  EXPECT_TRUE(has("bulwark_requests_total{" + api_labels + R"(,status_class="5xx"} 0)"));
  EXPECT_TRUE(
      has(R"(bulwark_requests_total{listener="public",route="",cluster="",status_class="2xx"} 0)"));
  EXPECT_TRUE(has("bulwark_response_body_bytes_total{" + api_labels + "} 12"));

  EXPECT_TRUE(has("# TYPE bulwark_request_duration_seconds histogram"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="0.01"} 0)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="0.025"} 1)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="0.25"} 1)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="0.5"} 2)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="10"} 2)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_bucket{" + api_labels + R"(,le="+Inf"} 2)"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_sum{" + api_labels + "} 0.32"));
  EXPECT_TRUE(has("bulwark_request_duration_seconds_count{" + api_labels + "} 2"));

  EXPECT_TRUE(has(R"(bulwark_upstream_retries_total{cluster="backend"} 1)"));
  EXPECT_TRUE(has(R"(bulwark_upstream_response_time_seconds_count{cluster="backend"} 1)"));
  EXPECT_TRUE(
      has(R"(bulwark_upstream_response_time_seconds_bucket{cluster="backend",le="0.005"} 0)"));
  EXPECT_TRUE(
      has(R"(bulwark_upstream_response_time_seconds_bucket{cluster="backend",le="0.01"} 1)"));
  EXPECT_TRUE(has("bulwark_downstream_connections_active 3"));
  EXPECT_TRUE(has(R"(bulwark_tls_handshakes_total{listener="public",result="full"} 2)"));
  EXPECT_TRUE(has(R"(bulwark_tls_handshakes_total{listener="public",result="resumed"} 0)"));
  EXPECT_TRUE(has(R"(bulwark_tls_handshakes_total{listener="public",result="failed"} 1)"));
  EXPECT_TRUE(has(R"(bulwark_endpoint_healthy{cluster="backend",endpoint="127.0.0.1:8001"} 1)"));
  EXPECT_TRUE(has(R"(bulwark_endpoint_healthy{cluster="backend",endpoint="127.0.0.1:8002"} 0)"));
  EXPECT_TRUE(
      has(R"(bulwark_endpoint_ejections_total{cluster="backend",endpoint="127.0.0.1:8001"} 2)"));
  EXPECT_TRUE(has(R"(bulwark_reloads_total{result="ok"} 1)"));
  EXPECT_TRUE(has(R"(bulwark_reloads_total{result="failed"} 0)"));
  EXPECT_THAT(text, Not(HasSubstr("(other)")));

  // Every sample's family has its HELP and TYPE before it, once.
  std::vector<std::string> typed;
  for (const std::string& line : lines) {
    if (line.starts_with("# TYPE ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_EQ(std::ranges::count(typed, name), 0) << name;
      typed.push_back(name);
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    ASSERT_FALSE(typed.empty()) << line;
    EXPECT_TRUE(line.starts_with(typed.back())) << line;
  }
}

TEST(MetricsExpositionTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line\nbreak"), R"(line\nbreak)");
  core::Metrics metrics(1);
  (void)metrics.series("public", "say \"hi\"", "");
  EXPECT_THAT(format_metrics(metrics, {}), HasSubstr(R"(route="say \"hi\"")"));
}

}  // namespace
}  // namespace bulwark::admin
