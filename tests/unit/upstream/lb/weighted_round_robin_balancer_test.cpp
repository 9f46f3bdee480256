#include "upstream/lb/weighted_round_robin_balancer.h"

#include <gtest/gtest.h>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using testing::count_picks;
using testing::Endpoints;

TEST(WeightedRoundRobinBalancerTest, NginxSequenceForWeights511) {
  Endpoints endpoints({5, 1, 1});
  WeightedRoundRobinBalancer balancer(endpoints.get());
  std::vector<std::size_t> sequence;
  sequence.reserve(14);
  for (int i = 0; i < 14; ++i)
    sequence.push_back(balancer.pick({}));
  // a,a,b,a,c,a,a and again: smooth, the light endpoints are not bunched.
  EXPECT_EQ(sequence, (std::vector<std::size_t>{0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0}));
}

TEST(WeightedRoundRobinBalancerTest, ExactSharesOverWholeCycles) {
  const std::vector<std::uint32_t> weights{3, 7, 1, 1000};
  Endpoints endpoints(weights);
  WeightedRoundRobinBalancer balancer(endpoints.get());
  // 1011 picks per cycle: every cycle gives exactly the weights.
  EXPECT_EQ(count_picks(balancer, 4, 1011 * 99), (std::vector<int>{297, 693, 99, 99000}));
}

TEST(WeightedRoundRobinBalancerTest, EqualWeightsAreRoundRobin) {
  Endpoints endpoints({2, 2, 2});
  WeightedRoundRobinBalancer balancer(endpoints.get());
  std::vector<std::size_t> sequence;
  sequence.reserve(6);
  for (int i = 0; i < 6; ++i)
    sequence.push_back(balancer.pick({}));
  EXPECT_EQ(sequence, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
}

TEST(WeightedRoundRobinBalancerTest, FactoryBuildsItFromTheConfig) {
  config::Cluster cluster;
  cluster.balancer = "weighted_round_robin";
  cluster.endpoints = {{.address = {"a", 1}, .weight = 2}, {.address = {"b", 1}, .weight = 1}};
  std::unique_ptr<Balancer> balancer = make_balancer(cluster, 0);
  EXPECT_EQ(count_picks(*balancer, 2, 300), (std::vector<int>{200, 100}));
}

}  // namespace
}  // namespace bulwark::upstream
