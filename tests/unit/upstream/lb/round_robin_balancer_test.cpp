#include "upstream/lb/round_robin_balancer.h"

#include <gtest/gtest.h>

#include <vector>

namespace bulwark::upstream {
namespace {

std::vector<std::size_t> picks(Balancer& balancer, int n) {
  std::vector<std::size_t> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out.push_back(balancer.pick(PickContext{}));
  return out;
}

TEST(RoundRobinBalancerTest, CyclesThroughEveryEndpointInOrder) {
  RoundRobinBalancer balancer(3);
  EXPECT_EQ(picks(balancer, 7), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RoundRobinBalancerTest, StartOffsetShiftsTheCycle) {
  RoundRobinBalancer balancer(3, 2);
  EXPECT_EQ(picks(balancer, 4), (std::vector<std::size_t>{2, 0, 1, 2}));
}

TEST(RoundRobinBalancerTest, StartOffsetLargerThanTheEndpointCountWraps) {
  RoundRobinBalancer balancer(3, 7);
  EXPECT_EQ(picks(balancer, 3), (std::vector<std::size_t>{1, 2, 0}));
}

TEST(RoundRobinBalancerTest, SingleEndpointIsAlwaysPicked) {
  RoundRobinBalancer balancer(1, 5);
  EXPECT_EQ(picks(balancer, 4), (std::vector<std::size_t>{0, 0, 0, 0}));
}

TEST(RoundRobinBalancerTest, DistributesEvenly) {
  RoundRobinBalancer balancer(4, 1);
  std::vector<int> hits(4, 0);
  for (int i = 0; i < 400; ++i)
    ++hits[balancer.pick()];
  EXPECT_EQ(hits, (std::vector<int>{100, 100, 100, 100}));
}

TEST(RoundRobinBalancerTest, FactoryBuildsItByDefault) {
  config::Cluster cluster;
  cluster.endpoints.resize(3);
  std::unique_ptr<Balancer> balancer = make_balancer(cluster, 1);
  EXPECT_EQ(picks(*balancer, 4), (std::vector<std::size_t>{1, 2, 0, 1}));
}

TEST(RoundRobinBalancerTest, DifferentStartsDoNotMoveInLockstep) {
  RoundRobinBalancer worker0(4, 0);
  RoundRobinBalancer worker1(4, 1);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(worker0.pick(), worker1.pick());
}

}  // namespace
}  // namespace bulwark::upstream
