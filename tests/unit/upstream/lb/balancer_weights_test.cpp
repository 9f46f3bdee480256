// Every balancer through set_weights(): an endpoint with weight 0 is never picked, the others
// share by their new weights, and restoring the weights restores the distribution.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "balancer_fixture.h"
#include "upstream/lb/balancer.h"
#include "upstream/lb/consistent_hash_balancer.h"
#include "upstream/lb/round_robin_balancer.h"
#include "upstream/lb/source_ip_hash_balancer.h"

namespace bulwark::upstream {
namespace {

using testing::expect_shares;

config::Cluster cluster_of(const std::string& balancer, const std::vector<std::uint32_t>& weights) {
  config::Cluster cluster;
  cluster.balancer = balancer;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    cluster.endpoints.push_back(
        {.address = {"10.0.0." + std::to_string(i), 80}, .mark = {}, .weight = weights[i]});
  }
  if (balancer == "consistent_hash") cluster.hash_key = config::HashKey{};
  return cluster;
}

// Picks for many different client addresses (the hashing balancers need them to spread), ending
// each request at once.
std::vector<int> picks_over_clients(Balancer& balancer, std::size_t endpoints, int n) {
  std::vector<int> hits(endpoints, 0);
  for (int i = 0; i < n; ++i) {
    const std::string client = "192.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    const std::size_t picked = balancer.pick({.client_address = client, .hash_key = {}});
    balancer.on_request_start(picked);
    balancer.on_request_end(picked, std::chrono::microseconds(100), true);
    ++hits[picked];
  }
  return hits;
}

class BalancerWeightsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BalancerWeightsTest, AnEndpointOutIsNeverPickedAndTheOthersShareByWeight) {
  const std::vector<std::uint32_t> configured{1, 1, 1, 1};
  std::unique_ptr<Balancer> balancer = make_balancer(cluster_of(GetParam(), configured), 0);
  const std::vector<std::uint32_t> reduced{100, 0, 300, 100};
  balancer->set_weights(reduced);
  const std::vector<int> hits = picks_over_clients(*balancer, 4, 100'000);
  EXPECT_EQ(hits[1], 0);
  // Under no load, least_request and p2c_ewma spread by load rather than weight; round robin
  // ignores weights; source_ip_hash sends the out endpoint's clients by the configured weights.
  const std::string& kind = GetParam();
  if (kind == "weighted_round_robin" || kind == "random" || kind == "consistent_hash") {
    expect_shares(hits, reduced, 0.02);
  }
  balancer->set_weights(configured);
  expect_shares(picks_over_clients(*balancer, 4, 100'000), configured, 0.02);
}

TEST_P(BalancerWeightsTest, OnlyOneEndpointLeftTakesEverything) {
  std::unique_ptr<Balancer> balancer = make_balancer(cluster_of(GetParam(), {2, 3, 5}), 1);
  balancer->set_weights(std::vector<std::uint32_t>{0, 0, 7});
  EXPECT_EQ(picks_over_clients(*balancer, 3, 1000), (std::vector<int>{0, 0, 1000}));
}

INSTANTIATE_TEST_SUITE_P(EveryBalancer, BalancerWeightsTest,
                         ::testing::Values("round_robin", "weighted_round_robin", "least_request",
                                           "p2c_ewma", "random", "source_ip_hash",
                                           "consistent_hash"));

TEST(RoundRobinWeightsTest, UnequalWeightsAreSmoothlyWeightedUntilEqualAgain) {
  RoundRobinBalancer balancer(3);
  balancer.set_weights(std::vector<std::uint32_t>{100, 20, 100});  // the second in slow start
  std::vector<int> hits(3, 0);
  for (int i = 0; i < 2200; ++i)
    ++hits[balancer.pick()];
  EXPECT_EQ(hits, (std::vector<int>{1000, 200, 1000}));
  balancer.set_weights(std::vector<std::uint32_t>{100, 100, 100});
  std::vector<std::size_t> sequence;
  for (int i = 0; i < 6; ++i)
    sequence.push_back(balancer.pick());
  EXPECT_EQ(sequence[0] == sequence[3] && sequence[1] == sequence[4] && sequence[2] == sequence[5],
            true);
  EXPECT_EQ(std::set<std::size_t>(sequence.begin(), sequence.end()).size(), 3U);
}

TEST(SourceIpHashWeightsTest, OnlyTheClientsOfAnEndpointOutMove) {
  testing::Endpoints endpoints({1, 1, 1, 1});
  SourceIpHashBalancer balancer(endpoints.get());
  std::vector<std::size_t> before;
  for (int i = 0; i < 10'000; ++i)
    before.push_back(balancer.pick({.client_address = "10.1.0." + std::to_string(i)}));
  balancer.set_weights(std::vector<std::uint32_t>{1, 0, 1, 1});
  int moved = 0;
  for (int i = 0; i < 10'000; ++i) {
    const std::size_t now = balancer.pick({.client_address = "10.1.0." + std::to_string(i)});
    EXPECT_NE(now, 1U);
    if (before[i] != 1) {
      EXPECT_EQ(now, before[i]) << "client " << i;
    }
    moved += static_cast<int>(now != before[i]);
  }
  EXPECT_NEAR(moved, 2500, 250);  // a quarter of the clients: the out endpoint's
}

TEST(ConsistentHashWeightsTest, TakingOneOfNOutMovesAboutOneNthOfTheKeys) {
  testing::Endpoints endpoints({1, 1, 1, 1, 1});
  ConsistentHashBalancer balancer(endpoints.get(), 0);
  std::vector<std::size_t> before;
  for (int i = 0; i < 20'000; ++i)
    before.push_back(balancer.lookup("key-" + std::to_string(i)));
  balancer.set_weights(std::vector<std::uint32_t>{1, 1, 0, 1, 1});
  int moved = 0;
  for (int i = 0; i < 20'000; ++i) {
    const std::size_t now = balancer.lookup("key-" + std::to_string(i));
    EXPECT_NE(now, 2U);
    moved += static_cast<int>(now != before[i]);
  }
  // Maglev moves the out endpoint's fifth plus a little disruption elsewhere.
  EXPECT_GT(moved, 3'600);
  EXPECT_LT(moved, 5'000);
}

}  // namespace
}  // namespace bulwark::upstream
