// A listener's http2: and a cluster's protocol: read from YAML, and their mistakes at their exact
// line and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "load_results.h"

namespace bulwark::config {
namespace {

using test_support::errors_of;
using test_support::load_ok;

using ::testing::ElementsAre;

// Line 4 onwards of the listener is `http2_lines`.
std::string with_listener_http2(std::string_view http2_lines) {
  return "listeners:\n"
         "  - name: public\n"
         "    listen: 127.0.0.1:8080\n" +
         std::string(http2_lines) +
         "    virtual_hosts:\n"
         "      - domains: [\"*\"]\n"
         "        routes:\n"
         "          - proxy: { cluster: demo }\n"
         "clusters:\n"
         "  - name: demo\n"
         "    endpoints: [127.0.0.1:8081]\n";
}

// Line 10 onwards of the cluster is `cluster_lines`.
std::string with_cluster(std::string_view cluster_lines) {
  return "listeners:\n"
         "  - name: public\n"
         "    listen: 127.0.0.1:8080\n"
         "    virtual_hosts:\n"
         "      - domains: [\"*\"]\n"
         "        routes:\n"
         "          - proxy: { cluster: demo }\n"
         "clusters:\n"
         "  - name: demo\n"
         "    endpoints: [127.0.0.1:8081]\n" +
         std::string(cluster_lines);
}

TEST(Http2SchemaTest, DefaultsWithoutHttp2Key) {
  const ConfigPtr config = load_ok(with_listener_http2(""));
  ASSERT_NE(config, nullptr);
  const Http2Settings& http2 = config->listeners[0].http2;
  EXPECT_TRUE(http2.enabled);
  EXPECT_FALSE(http2.cleartext);
  EXPECT_EQ(http2.max_concurrent_streams, 128U);
  EXPECT_EQ(config->clusters[0].protocol, UpstreamProtocol::kHttp1);
}

TEST(Http2SchemaTest, EveryFieldIsRead) {
  const ConfigPtr config =
      load_ok(with_listener_http2("    http2:\n"
                                  "      cleartext: true\n"
                                  "      max_concurrent_streams: 64\n"
                                  "      initial_stream_window: 1MiB\n"
                                  "      connection_window: 4MiB\n"
                                  "      max_frame_size: 32KiB\n"
                                  "      max_resets_per_second: 50\n"
                                  "      max_control_frames_per_second: 300\n"
                                  "      stall_timeout: 10s\n"));
  ASSERT_NE(config, nullptr);
  const Http2Settings& http2 = config->listeners[0].http2;
  EXPECT_TRUE(http2.enabled);
  EXPECT_TRUE(http2.cleartext);
  EXPECT_EQ(http2.max_concurrent_streams, 64U);
  EXPECT_EQ(http2.initial_stream_window, 1U << 20);
  EXPECT_EQ(http2.connection_window, 4U << 20);
  EXPECT_EQ(http2.max_frame_size, 32U << 10);
  EXPECT_EQ(http2.max_resets_per_second, 50U);
  EXPECT_EQ(http2.max_control_frames_per_second, 300U);
  EXPECT_EQ(http2.stall_timeout, std::chrono::seconds(10));
}

TEST(Http2SchemaTest, OffDisablesIt) {
  const ConfigPtr config = load_ok(with_listener_http2("    http2: off\n"));
  ASSERT_NE(config, nullptr);
  EXPECT_FALSE(config->listeners[0].http2.enabled);
  const ConfigPtr disabled = load_ok(with_listener_http2("    http2: { enabled: false }\n"));
  ASSERT_NE(disabled, nullptr);
  EXPECT_FALSE(disabled->listeners[0].http2.enabled);
}

TEST(Http2SchemaTest, RangesAreChecked) {
  EXPECT_THAT(
      errors_of(with_listener_http2("    http2:\n"
                                    "      max_concurrent_streams: 0\n"
                                    "      initial_stream_window: 1000\n"
                                    "      connection_window: 4GiB\n"
                                    "      max_frame_size: 1000\n"
                                    "      max_resets_per_second: 0\n"
                                    "      stall_timeout: 10ms\n")),
      ElementsAre(
          "t.yaml:5:31: max_concurrent_streams: 0 is out of range (from 1 to 10000)",
          "t.yaml:6:30: initial_stream_window: 1000 is out of range (from 65535B to "
          "2147483647B)",
          "t.yaml:7:26: connection_window: 4GiB is out of range (from 65535B to 2147483647B)",
          "t.yaml:8:23: max_frame_size: 1000 is out of range (from 16KiB to 16777215B)",
          "t.yaml:9:30: max_resets_per_second: 0 is out of range (from 1 to 1000000)",
          "t.yaml:10:22: stall_timeout: 10ms is out of range (from 1s to 1h)"));
}

TEST(Http2SchemaTest, UnknownKeyAndWrongShape) {
  EXPECT_THAT(
      errors_of(with_listener_http2("    http2: { max_streams: 5 }\n")),
      ElementsAre(::testing::StartsWith("t.yaml:4:14: unknown key 'max_streams' in http2")));
  EXPECT_THAT(errors_of(with_listener_http2("    http2: yes\n")),
              ElementsAre("t.yaml:4:12: http2: expected a map or off, got 'yes'\n"
                          "  hint: write off to turn it off"));
}

TEST(Http2SchemaTest, CleartextOnATlsListenerIsRefused) {
  EXPECT_THAT(
      errors_of(with_listener_http2("    tls: { cert: a.pem, key: a.key }\n"
                                    "    http2: { cleartext: true }\n")),
      ElementsAre("t.yaml:5:25: cleartext: h2c is for listeners without tls; TLS listeners "
                  "offer h2 by ALPN\n  hint: remove cleartext, or remove the listener's tls"));
}

TEST(Http2SchemaTest, ClusterProtocols) {
  const std::pair<std::string_view, UpstreamProtocol> cases[] = {
      {"    protocol: http1.1\n", UpstreamProtocol::kHttp1},
      {"    protocol: fastcgi\n    fastcgi: { root: /srv }\n", UpstreamProtocol::kFastCgi},
      {"    protocol: h2c\n", UpstreamProtocol::kH2c},
      {"    protocol: h2\n    tls: true\n", UpstreamProtocol::kH2},
      {"    protocol: auto\n    tls: { verify: false }\n", UpstreamProtocol::kAuto},
  };
  for (const auto& [lines, protocol] : cases) {
    const ConfigPtr config = load_ok(with_cluster(lines));
    ASSERT_NE(config, nullptr) << lines;
    EXPECT_EQ(config->clusters[0].protocol, protocol) << lines;
  }
}

TEST(Http2SchemaTest, ClusterProtocolErrors) {
  EXPECT_THAT(errors_of(with_cluster("    protocol: h2\n")),
              ElementsAre("t.yaml:11:15: protocol: h2 needs the cluster to have tls (it is chosen "
                          "by ALPN)\n  hint: add tls: {} to the cluster, or use h2c for HTTP/2 "
                          "without TLS"));
  EXPECT_THAT(errors_of(with_cluster("    tls: false\n    protocol: auto\n")),
              ElementsAre(::testing::StartsWith(
                  "t.yaml:12:15: protocol: auto needs the cluster to have tls")));
  EXPECT_THAT(errors_of(with_cluster("    tls: true\n    protocol: h2c\n")),
              ElementsAre("t.yaml:12:15: protocol: h2c is HTTP/2 without TLS, but the cluster "
                          "has tls\n  hint: use h2 for HTTP/2 over TLS, or remove tls"));
  EXPECT_THAT(errors_of(with_cluster("    protocol: http2\n")),
              ElementsAre(::testing::StartsWith("t.yaml:11:15: protocol: unknown value 'http2'")));
}

}  // namespace
}  // namespace bulwark::config
