#include "upstream/lb/round_robin_balancer.h"

#include <gtest/gtest.h>

#include <vector>

namespace bulwark::upstream {
namespace {

std::vector<std::size_t> picks(RoundRobinBalancer& balancer, std::size_t count, int n) {
  std::vector<std::size_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(balancer.pick(count));
  return out;
}

TEST(RoundRobinBalancerTest, CyclesThroughEveryEndpointInOrder) {
  RoundRobinBalancer balancer;
  EXPECT_EQ(picks(balancer, 3, 7), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RoundRobinBalancerTest, StartOffsetShiftsTheCycle) {
  RoundRobinBalancer balancer(2);
  EXPECT_EQ(picks(balancer, 3, 4), (std::vector<std::size_t>{2, 0, 1, 2}));
}

TEST(RoundRobinBalancerTest, StartOffsetLargerThanTheEndpointCountWraps) {
  RoundRobinBalancer balancer(7);
  EXPECT_EQ(picks(balancer, 3, 3), (std::vector<std::size_t>{1, 2, 0}));
}

TEST(RoundRobinBalancerTest, SingleEndpointIsAlwaysPicked) {
  RoundRobinBalancer balancer(5);
  EXPECT_EQ(picks(balancer, 1, 4), (std::vector<std::size_t>{0, 0, 0, 0}));
}

TEST(RoundRobinBalancerTest, DistributesEvenly) {
  RoundRobinBalancer balancer(1);
  std::vector<int> hits(4, 0);
  for (int i = 0; i < 400; ++i)
    ++hits[balancer.pick(4)];
  EXPECT_EQ(hits, (std::vector<int>{100, 100, 100, 100}));
}

TEST(RoundRobinBalancerTest, PickIsAlwaysInRangeWhenTheCountChanges) {
  RoundRobinBalancer balancer;
  for (std::size_t count = 1; count < 20; ++count) {
    for (int i = 0; i < 5; ++i)
      EXPECT_LT(balancer.pick(count), count);
  }
}

TEST(RoundRobinBalancerTest, DifferentStartsDoNotMoveInLockstep) {
  RoundRobinBalancer worker0(0);
  RoundRobinBalancer worker1(1);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(worker0.pick(4), worker1.pick(4));
}

}  // namespace
}  // namespace bulwark::upstream
