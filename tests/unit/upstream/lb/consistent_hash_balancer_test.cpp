#include "upstream/lb/consistent_hash_balancer.h"

#include <gtest/gtest.h>

#include <string>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using testing::Endpoints;
using testing::expect_shares;

std::string key(int i) {
  return "user-" + std::to_string(i);
}

TEST(ConsistentHashBalancerTest, SameKeySameEndpointAndKeysSpreadByWeight) {
  const std::vector<std::uint32_t> weights{1, 2, 1, 4};
  Endpoints endpoints(weights);
  ConsistentHashBalancer balancer(endpoints.get(), 0);
  ConsistentHashBalancer other_worker(endpoints.get(), 0);
  std::vector<int> hits(4, 0);
  for (int i = 0; i < 100'000; ++i) {
    const std::string k = key(i);
    const std::size_t pick = balancer.pick({.hash_key = k});
    EXPECT_EQ(other_worker.pick({.hash_key = k}), pick);
    ++hits[pick];
  }
  expect_shares(hits, weights, 0.02);
}

TEST(ConsistentHashBalancerTest, RemovingOneOfThreeMovesAboutAThird) {
  Endpoints three({1, 1, 1});
  // The same endpoints without the middle one: identities, not positions, place the keys.
  std::vector<BalancerEndpoint> two{three.get()[0], three.get()[2]};
  ConsistentHashBalancer before(three.get(), 0);
  ConsistentHashBalancer after(two, 0);
  const int n = 30'000;
  int moved = 0;
  int moved_needlessly = 0;
  for (int i = 0; i < n; ++i) {
    const std::size_t was = before.lookup(key(i));
    const std::size_t now = after.lookup(key(i)) == 0 ? 0 : 2;
    if (was != now) ++moved;
    if (was != 1 && was != now) ++moved_needlessly;
  }
  EXPECT_NEAR(static_cast<double>(moved) / n, 1.0 / 3, 0.03);
  // Maglev is not perfectly minimal: a few keys of staying endpoints move too.
  EXPECT_LT(static_cast<double>(moved_needlessly) / n, 0.03);
}

TEST(ConsistentHashBalancerTest, MissingKeyFallsBackToTheClientAddress) {
  Endpoints endpoints({1, 1, 1, 1, 1});
  ConsistentHashBalancer balancer(endpoints.get(), 0);
  EXPECT_EQ(balancer.pick({.client_address = "192.0.2.1"}), balancer.lookup("192.0.2.1"));
  EXPECT_EQ(balancer.pick({.client_address = "192.0.2.1", .hash_key = "abc"}),
            balancer.lookup("abc"));
}

TEST(ConsistentHashBalancerTest, BoundedLoadHolds) {
  // Every request has the same key: without a bound, one endpoint takes them all.
  const double factor = 1.25;
  Endpoints endpoints({1, 1, 1, 1});
  ConsistentHashBalancer balancer(endpoints.get(), factor);
  std::vector<std::uint64_t> outstanding(4, 0);
  std::uint64_t total = 0;
  const std::size_t home = balancer.lookup("hot");
  for (int i = 0; i < 400; ++i) {
    const std::size_t pick = balancer.pick({.hash_key = "hot"});
    balancer.on_request_start(pick);
    ++outstanding[pick];
    ++total;
    for (std::size_t e = 0; e < 4; ++e) {
      // ceil(factor x average), the bound a pick may reach.
      EXPECT_LE(static_cast<double>(outstanding[e]), (factor * static_cast<double>(total) / 4) + 1)
          << "after " << total << " requests";
    }
  }
  EXPECT_GE(outstanding[home], 120U);  // the key's own endpoint is still filled to the bound
  // Once the load is gone the key is home again.
  for (std::size_t e = 0; e < 4; ++e) {
    for (std::uint64_t r = 0; r < outstanding[e]; ++r)
      balancer.on_request_end(e, std::chrono::milliseconds(1), true);
  }
  EXPECT_EQ(balancer.pick({.hash_key = "hot"}), home);
}

TEST(ConsistentHashBalancerTest, UnboundedWhenTheFactorIsZero) {
  Endpoints endpoints({1, 1, 1});
  ConsistentHashBalancer balancer(endpoints.get(), 0);
  const std::size_t home = balancer.lookup("hot");
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(balancer.pick({.hash_key = "hot"}), home);
    balancer.on_request_start(home);
  }
}

TEST(ConsistentHashBalancerTest, FactoryUsesTheConfiguredFactor) {
  config::Cluster cluster;
  cluster.balancer = "consistent_hash";
  cluster.hash_balance_factor = 1.0;
  cluster.endpoints = {{.address = {"a", 1}}, {.address = {"b", 1}}};
  std::unique_ptr<Balancer> balancer = make_balancer(cluster, 0);
  std::vector<int> hits(2, 0);
  for (int i = 0; i < 10; ++i) {
    const std::size_t pick = balancer->pick({.hash_key = "hot"});
    balancer->on_request_start(pick);
    ++hits[pick];
  }
  EXPECT_EQ(hits, (std::vector<int>{5, 5}));  // factor 1: never more than the average
}

}  // namespace
}  // namespace bulwark::upstream
