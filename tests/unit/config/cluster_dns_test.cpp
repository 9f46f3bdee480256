// Cluster endpoints from DNS in the config: dns: settings, SRV endpoints and their errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster_fixture.h"
#include "config/loader.h"

namespace bulwark::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

TEST(ClusterDnsConfigTest, DefaultsAskTheSystemOnTheTtl) {
  const ConfigPtr config = load_clusters_ok("  - { name: a, endpoints: [api.internal:8080] }\n");
  ASSERT_NE(config, nullptr);
  const DnsSettings& dns = config->clusters.at(0).dns;
  EXPECT_TRUE(dns.resolvers.empty());
  EXPECT_FALSE(dns.refresh);
  EXPECT_EQ(dns.min_ttl, milliseconds(1'000));
  EXPECT_EQ(dns.max_ttl, milliseconds(300'000));
  EXPECT_EQ(dns.family, DnsSettings::Family::kAuto);
}

TEST(ClusterDnsConfigTest, SettingsAndSrvEndpointsAreRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints:
      - api.internal:8080
      - { srv: _http._tcp.api.internal }
      - 127.0.0.1:81
    dns:
      resolvers: [ 127.0.0.1:5353, "[::1]:53" ]
      min_ttl: 2s
      max_ttl: 1m
      family: ipv6
  - name: b
    endpoints: [ { address: b.internal:80, weight: 3 } ]
    dns: { refresh: 10s, family: any }
  - name: c
    endpoints: [ c.internal:80 ]
    dns: { refresh: ttl }
)");
  ASSERT_NE(config, nullptr);
  const Cluster& a = config->clusters.at(0);
  ASSERT_EQ(a.endpoints.size(), 3U);
  EXPECT_EQ(a.endpoints[0].address.to_string(), "api.internal:8080");
  EXPECT_TRUE(a.endpoints[0].srv.empty());
  EXPECT_EQ(a.endpoints[1].srv, "_http._tcp.api.internal");
  EXPECT_TRUE(a.endpoints[1].address.host.empty());
  ASSERT_EQ(a.dns.resolvers.size(), 2U);
  EXPECT_EQ(a.dns.resolvers[0].to_string(), "127.0.0.1:5353");
  EXPECT_EQ(a.dns.resolvers[1].to_string(), "[::1]:53");
  EXPECT_EQ(a.dns.min_ttl, milliseconds(2'000));
  EXPECT_EQ(a.dns.max_ttl, milliseconds(60'000));
  EXPECT_EQ(a.dns.family, DnsSettings::Family::kIpv6);
  const Cluster& b = config->clusters.at(1);
  EXPECT_EQ(b.endpoints[0].weight, 3U);
  EXPECT_EQ(b.dns.refresh, milliseconds(10'000));
  EXPECT_EQ(b.dns.family, DnsSettings::Family::kAny);
  EXPECT_FALSE(config->clusters.at(2).dns.refresh);
}

TEST(ClusterDnsConfigTest, BadSettingsPointAtTheValue) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints: [ api.internal:80 ]
    dns:
      resolvers: [ ns.internal:53 ]
      min_ttl: 10s
      max_ttl: 5s
      family: ipv5
      refresh: often
)"),
              ElementsAre("t.yaml:5:20: resolvers[0]: 'ns.internal:53' is a name; a resolver is "
                          "an IP address\n  hint: e.g. resolvers: [ 127.0.0.1:53 ]",
                          "t.yaml:7:16: max_ttl: 5s is below min_ttl (10s)",
                          "t.yaml:8:15: family: unknown value 'ipv5'\n  hint: did you mean "
                          "'ipv4'? (the choices are: auto, any, ipv4, ipv6)",
                          "t.yaml:9:16: refresh: expected ttl or a duration from 1s to 7 days, "
                          "got 'often'\n  hint: ttl looks again as each answer expires; 30s looks "
                          "again every 30 seconds"));
}

TEST(ClusterDnsConfigTest, SrvEndpointsTakeNoAddressOrWeight) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints:
      - { srv: _http._tcp.api.internal, weight: 2 }
      - { srv: "bad name!" }
)"),
              ElementsAre("t.yaml:4:49: weight: an srv endpoint takes it from its records\n"
                          "  hint: remove it, or write the endpoint as { address: HOST:PORT }",
                          "t.yaml:5:16: srv: 'bad name!' is not a DNS name\n"
                          "  hint: e.g. srv: _http._tcp.api.internal"));
}

TEST(ClusterDnsConfigTest, DnsWithoutANameIsRefused) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints: [ 127.0.0.1:80 ]
    dns: { min_ttl: 5s }
)"),
              ElementsAre("t.yaml:4:10: dns: cluster 'a' has no name to look up\n"
                          "  hint: its endpoints are IP addresses; write a HOST:PORT name or "
                          "{ srv: NAME }"));
}

}  // namespace
}  // namespace bulwark::config
