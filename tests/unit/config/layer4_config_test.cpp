// Layer-4 listeners, PROXY protocol acceptance and sending in the config: what is read, and
// every mistake at its exact line and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

constexpr std::string_view kClusters = R"(clusters:
  - name: redis
    endpoints: [127.0.0.1:6379, 127.0.0.1:6380]
    send_proxy_protocol: v2
  - name: web
    endpoints: [127.0.0.1:8443]
  - name: secure
    endpoints: [127.0.0.1:9443]
    tls: {}
)";

LoadResult load(std::string_view listeners) {
  return load_config_string(std::string(kClusters) + std::string(listeners), "t.yaml");
}

std::vector<std::string> errors_of(std::string_view listeners) {
  const LoadResult result = load(listeners);
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::string> lines;
  lines.reserve(result.errors.size());
  for (const Diagnostic& d : result.errors)
    lines.push_back(d.format());
  return lines;
}

// Lines 1-9 are the clusters; listeners start at line 10.
TEST(Layer4ConfigTest, TcpAndPassthroughListeners) {
  const LoadResult result = load(R"(listeners:
  - name: tcp
    listen: 127.0.0.1:7000
    protocol: tcp
    layer4: { cluster: redis, idle_timeout: 30s }
    proxy_protocol: { trusted_sources: [10.0.0.0/8, "::1"], timeout: 2s }
  - name: sni
    listen: 127.0.0.1:7001
    protocol: tls_passthrough
    layer4:
      cluster: web
      sni_routes:
        - { server_names: [A.example, "*.b.example"], cluster: redis }
)");
  ASSERT_NE(result.config, nullptr) << (result.errors.empty() ? "" : result.errors[0].format());
  const Config& config = *result.config;
  ASSERT_EQ(config.listeners.size(), 2U);
  const Listener& tcp = config.listeners[0];
  EXPECT_EQ(tcp.protocol, ListenerProtocol::kTcp);
  EXPECT_EQ(tcp.layer4.cluster, "redis");
  EXPECT_EQ(tcp.layer4.cluster_index, 0U);
  EXPECT_EQ(tcp.layer4.idle_timeout, std::chrono::seconds(30));
  ASSERT_TRUE(tcp.proxy_protocol.has_value());
  EXPECT_EQ(tcp.proxy_protocol.value_or(ProxyProtocolAccept{}).trusted_sources.size(), 2U);
  EXPECT_EQ(tcp.proxy_protocol.value_or(ProxyProtocolAccept{}).timeout, std::chrono::seconds(2));
  const Listener& sni = config.listeners[1];
  EXPECT_EQ(sni.protocol, ListenerProtocol::kTlsPassthrough);
  EXPECT_EQ(sni.layer4.cluster_index, 1U);
  ASSERT_EQ(sni.layer4.sni_routes.size(), 1U);
  EXPECT_THAT(sni.layer4.sni_routes[0].server_names, ElementsAre("a.example", "*.b.example"));
  EXPECT_EQ(sni.layer4.sni_routes[0].cluster_index, 0U);
  EXPECT_EQ(sni.layer4.idle_timeout, std::chrono::minutes(10));
  EXPECT_FALSE(sni.proxy_protocol.has_value());
  EXPECT_EQ(config.clusters[0].send_proxy_protocol, ProxyProtocolVersion::kV2);
  EXPECT_FALSE(config.clusters[1].send_proxy_protocol.has_value());
}

TEST(Layer4ConfigTest, ProxyProtocolOnAnHttpListener) {
  const LoadResult result = load(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    proxy_protocol: { trusted_sources: [127.0.0.1] }
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: web }
)");
  ASSERT_NE(result.config, nullptr);
  EXPECT_EQ(result.config->listeners[0].protocol, ListenerProtocol::kHttp);
  EXPECT_EQ(result.config->listeners[0].proxy_protocol.value_or(ProxyProtocolAccept{}).timeout,
            std::chrono::seconds(5));
}

TEST(Layer4ConfigTest, ListenerMistakes) {
  EXPECT_THAT(
      errors_of(R"(listeners:
  - name: a
    listen: 127.0.0.1:7000
    protocol: udp
    virtual_hosts: [ { domains: ["*"], routes: [ { proxy: { cluster: web } } ] } ]
  - name: b
    listen: 127.0.0.1:7001
    protocol: tcp
  - name: c
    listen: 127.0.0.1:7002
    protocol: tcp
    tls: { certificates: [ { cert: a.pem, key: a.key } ] }
    layer4: { cluster: nope, sni_routes: [] }
    virtual_hosts: []
  - name: d
    listen: 127.0.0.1:7003
    layer4: { cluster: web }
    virtual_hosts: [ { domains: ["*"], routes: [ { proxy: { cluster: web } } ] } ]
  - name: e
    listen: 127.0.0.1:7004
    protocol: tls_passthrough
    layer4: { idle_timeout: 0s }
  - name: f
    listen: 127.0.0.1:7005
    protocol: tcp
    layer4: { cluster: secure }
)"),
      ElementsAre(
          "t.yaml:13:15: protocol: unknown value 'udp'"
          "\n  hint: the choices are: http, tcp, tls_passthrough",
          "t.yaml:17:15: protocol: a tcp listener needs layer4: with its cluster"
          "\n  hint: write layer4: { cluster: NAME }",
          "t.yaml:21:10: tls: a tcp listener does not speak HTTP or terminate TLS"
          "\n  hint: remove it, or remove protocol: tcp",
          "t.yaml:22:24: cluster: cluster 'nope' is not defined"
          "\n  hint: the clusters are: redis, web, secure",
          "t.yaml:22:42: sni_routes: only a tls_passthrough listener routes by SNI"
          "\n  hint: write protocol: tls_passthrough, or send everything to layer4.cluster",
          "t.yaml:23:20: virtual_hosts: a tcp listener does not speak HTTP"
          "\n  hint: remove it, or remove protocol: tcp",
          "t.yaml:26:13: layer4: only tcp and tls_passthrough listeners use it"
          "\n  hint: add protocol: tcp or protocol: tls_passthrough",
          "t.yaml:31:13: layer4: a tls_passthrough listener needs sni_routes or a cluster"
          "\n  hint: write layer4: { sni_routes: [ { server_names: [NAME], cluster: NAME } ] }",
          "t.yaml:31:29: idle_timeout: 0s is out of range (from 1ms to 24h)",
          "t.yaml:35:24: cluster: cluster 'secure' speaks TLS to its endpoints; a layer-4 "
          "listener passes the client's bytes as they are"
          "\n  hint: use a cluster without tls: and protocol:"));
}

TEST(Layer4ConfigTest, SniRouteAndProxyProtocolMistakes) {
  EXPECT_THAT(errors_of(R"(listeners:
  - name: a
    listen: 127.0.0.1:7000
    protocol: tls_passthrough
    proxy_protocol: { trusted_sources: [], timeout: 1s }
    layer4:
      sni_routes:
        - { server_names: [a.example, "http://b.example"], cluster: web }
        - { server_names: [A.EXAMPLE], cluster: webb }
        - { server_names: [] }
  - name: b
    listen: 127.0.0.1:7001
    protocol: tcp
    proxy_protocol: { trusted_sources: [10.0.0.300] }
    layer4: { cluster: web }
)"),
              ElementsAre("t.yaml:14:40: trusted_sources: list the load balancers that send "
                          "PROXY headers"
                          "\n  hint: e.g. trusted_sources: [ 10.0.0.0/8 ]; without "
                          "proxy_protocol no connection is expected to send one",
                          "t.yaml:17:39: server_names[1]: 'http://b.example' is not a server "
                          "name\n  hint: write a host name (a.example) or a wildcard "
                          "(*.b.example)",
                          "t.yaml:18:28: server_names[0]: server name 'a.example' is listed "
                          "twice (first at line 17)"
                          "\n  hint: each server name belongs to one SNI route",
                          "t.yaml:18:49: cluster: cluster 'webb' is not defined"
                          "\n  hint: did you mean 'web'?",
                          "t.yaml:19:11: sni_routes[2]: missing required key 'cluster'",
                          "t.yaml:19:27: server_names: an SNI route needs at least one server "
                          "name",
                          "t.yaml:23:41: trusted_sources[0]: bad network '10.0.0.300': not an "
                          "IP address\n  hint: write an address or ADDRESS/PREFIX, e.g. "
                          "10.0.0.0/8 or ::1"));
}

TEST(Layer4ConfigTest, SendProxyProtocolVersion) {
  EXPECT_THAT(errors_of(R"(  - name: other
    endpoints: [127.0.0.1:1]
    send_proxy_protocol: v3
listeners:
  - name: tcp
    listen: 127.0.0.1:7000
    protocol: tcp
    layer4: { cluster: other }
)"),
              ElementsAre("t.yaml:12:26: send_proxy_protocol: unknown value 'v3'"
                          "\n  hint: did you mean 'v1'? (the choices are: v1, v2)"));
}

}  // namespace
}  // namespace bulwark::config
