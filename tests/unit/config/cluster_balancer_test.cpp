// Cluster balancers in the config: the balancer names, weighted endpoints, hash keys.

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

TEST(ClusterBalancerConfigTest, DefaultsAreRoundRobinWeightOne) {
  const ConfigPtr config = load_clusters_ok("  - { name: a, endpoints: [127.0.0.1:1] }\n");
  ASSERT_NE(config, nullptr);
  const Cluster& cluster = config->clusters.at(0);
  EXPECT_EQ(cluster.balancer, "round_robin");
  EXPECT_EQ(cluster.endpoints.at(0).weight, 1U);
  EXPECT_FALSE(cluster.hash_key);
  EXPECT_DOUBLE_EQ(cluster.hash_balance_factor, 1.25);
}

TEST(ClusterBalancerConfigTest, EveryBalancerAndWeightedEndpointsAreRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    balancer: weighted_round_robin
    endpoints:
      - { address: 127.0.0.1:1, weight: 5 }
      - 127.0.0.1:2
      - { address: "localhost:3", weight: 1000 }
  - { name: b, balancer: least_request, endpoints: [127.0.0.1:1] }
  - { name: c, balancer: p2c_ewma, endpoints: [127.0.0.1:1] }
  - { name: d, balancer: random, endpoints: [127.0.0.1:1] }
  - { name: e, balancer: source_ip_hash, endpoints: [127.0.0.1:1] }
)");
  ASSERT_NE(config, nullptr);
  const Cluster& a = config->clusters.at(0);
  EXPECT_EQ(a.balancer, "weighted_round_robin");
  ASSERT_EQ(a.endpoints.size(), 3U);
  EXPECT_EQ(a.endpoints[0].address.to_string(), "127.0.0.1:1");
  EXPECT_EQ(a.endpoints[0].weight, 5U);
  EXPECT_EQ(a.endpoints[1].weight, 1U);
  EXPECT_EQ(a.endpoints[2].address.host, "localhost");
  EXPECT_EQ(a.endpoints[2].weight, 1000U);
  EXPECT_EQ(config->clusters.at(1).balancer, "least_request");
  EXPECT_EQ(config->clusters.at(2).balancer, "p2c_ewma");
  EXPECT_EQ(config->clusters.at(3).balancer, "random");
  EXPECT_EQ(config->clusters.at(4).balancer, "source_ip_hash");
}

TEST(ClusterBalancerConfigTest, HashKeysAreRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    balancer: consistent_hash
    hash_key: { header: x-user-id }
    hash_balance_factor: 1.5
    endpoints: [127.0.0.1:1]
  - { name: b, balancer: consistent_hash, hash_key: { cookie: session }, endpoints: [127.0.0.1:1] }
  - { name: c, balancer: consistent_hash, hash_key: { path: true }, endpoints: [127.0.0.1:1] }
  - { name: d, balancer: consistent_hash, hash_key: { query: user }, endpoints: [127.0.0.1:1] }
  - { name: e, balancer: consistent_hash, hash_key: { client_address: true }, endpoints: [127.0.0.1:1] }
)");
  ASSERT_NE(config, nullptr);
  const auto& clusters = config->clusters;
  ASSERT_EQ(clusters.size(), 5U);
  const std::vector<std::pair<HashKey::Source, std::string>> expected{
      {HashKey::Source::kHeader, "x-user-id"},
      {HashKey::Source::kCookie, "session"},
      {HashKey::Source::kPath, ""},
      {HashKey::Source::kQuery, "user"},
      {HashKey::Source::kClientAddress, ""}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const HashKey missing{.name = "<no hash_key>"};
    const std::optional<HashKey>& read = clusters[i].hash_key;
    const HashKey& key = read ? *read : missing;
    EXPECT_EQ(key.source, expected[i].first) << "cluster " << i;
    EXPECT_EQ(key.name, expected[i].second) << "cluster " << i;
  }
  EXPECT_DOUBLE_EQ(clusters[0].hash_balance_factor, 1.5);
  EXPECT_DOUBLE_EQ(clusters[1].hash_balance_factor, 1.25);
}

TEST(ClusterBalancerConfigTest, BalancerMistakes) {
  EXPECT_THAT(
      cluster_errors(R"(  - { name: a, balancer: least_requests, endpoints: [127.0.0.1:1] }
  - { name: b, balancer: consistent_hash, endpoints: [127.0.0.1:1] }
  - { name: c, balancer: random, hash_key: { path: true }, hash_balance_factor: 2, endpoints: [127.0.0.1:1] }
)"),
      ElementsAre(
          "t.yaml:2:26: balancer: unknown value 'least_requests'\n  hint: did you mean "
          "'least_request'? (the choices are: round_robin, weighted_round_robin, least_request, "
          "p2c_ewma, random, source_ip_hash, consistent_hash)",
          "t.yaml:3:26: balancer: consistent_hash needs a hash_key"
          "\n  hint: e.g. hash_key: { header: x-user-id }, { cookie: session }, { path: true }, "
          "{ query: user } or { client_address: true }",
          "t.yaml:4:44: hash_key: only the consistent_hash balancer uses it\n  hint: add "
          "balancer: consistent_hash, or remove it",
          "t.yaml:4:81: hash_balance_factor: only the consistent_hash balancer uses it\n  hint: "
          "add balancer: consistent_hash, or remove it"));
}

TEST(ClusterBalancerConfigTest, HashKeyMistakes) {
  EXPECT_THAT(
      cluster_errors(
          R"(  - { name: a, balancer: consistent_hash, hash_key: {}, endpoints: [127.0.0.1:1] }
  - { name: b, balancer: consistent_hash, hash_key: { header: x, path: true }, endpoints: [127.0.0.1:1] }
  - { name: c, balancer: consistent_hash, hash_key: { path: false }, endpoints: [127.0.0.1:1] }
  - { name: d, balancer: consistent_hash, hash_key: { header: "a b" }, endpoints: [127.0.0.1:1] }
  - { name: e, balancer: consistent_hash, hash_key: { host: x }, endpoints: [127.0.0.1:1] }
  - { name: f, balancer: consistent_hash, hash_key: x-user, endpoints: [127.0.0.1:1] }
  - { name: g, balancer: consistent_hash, hash_key: { path: true }, hash_balance_factor: 0.5, endpoints: [127.0.0.1:1] }
  - { name: h, balancer: consistent_hash, hash_key: { path: true }, hash_balance_factor: 1.5x, endpoints: [127.0.0.1:1] }
)"),
      ElementsAre(
          "t.yaml:2:53: hash_key: give exactly one of header, cookie, path, query, client_address"
          "\n  hint: e.g. hash_key: { header: x-user-id }, { cookie: session }, { path: true }, "
          "{ query: user } or { client_address: true }",
          "t.yaml:3:53: hash_key: give exactly one of header, cookie, path, query, client_address"
          "\n  hint: e.g. hash_key: { header: x-user-id }, { cookie: session }, { path: true }, "
          "{ query: user } or { client_address: true }",
          "t.yaml:4:61: path: only true makes sense here\n  hint: to hash on something else, "
          "name it instead",
          "t.yaml:5:63: header: 'a b' is not a valid name\n  hint: use letters, digits, '_', '-' "
          "and '.' (at most 128)",
          "t.yaml:6:55: unknown key 'host' in hash_key\n  hint: the keys in hash_key are: header, "
          "cookie, path, query, client_address",
          "t.yaml:7:53: hash_key: expected a map, got 'x-user'",
          "t.yaml:8:90: hash_balance_factor: '0.5' is not a number from 1 to 100\n  hint: 1.25 "
          "lets an endpoint take 25% more than the average before keys spill over",
          "t.yaml:9:90: hash_balance_factor: '1.5x' is not a number from 1 to 100\n  hint: 1.25 "
          "lets an endpoint take 25% more than the average before keys spill over"));
}

TEST(ClusterBalancerConfigTest, EndpointMistakes) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints:
      - { address: 127.0.0.1:1, weight: 0 }
      - { address: 127.0.0.1:2, weight: 1001 }
      - { weight: 2 }
      - { address: 127.0.0.1, weight: 2 }
      - { address: 127.0.0.1:3, wieght: 2 }
)"),
              ElementsAre("t.yaml:4:41: weight: 0 is out of range (from 1 to 1000)",
                          "t.yaml:5:41: weight: 1001 is out of range (from 1 to 1000)",
                          "t.yaml:6:9: endpoints[2]: missing required key 'address'",
                          "t.yaml:7:20: address: bad address '127.0.0.1': expected HOST:PORT\n  "
                          "hint: write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                          "t.yaml:8:33: unknown key 'wieght' in endpoints[4]\n  hint: did you "
                          "mean 'weight'?"));
}

}  // namespace
}  // namespace bulwark::config
