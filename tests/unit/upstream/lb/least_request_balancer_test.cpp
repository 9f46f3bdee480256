#include "upstream/lb/least_request_balancer.h"

#include <gtest/gtest.h>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using testing::count_picks;
using testing::Endpoints;

TEST(LeastRequestBalancerTest, IdleEndpointsShareEvenly) {
  Endpoints endpoints({1, 1, 1});
  LeastRequestBalancer balancer(endpoints.get(), 0);
  EXPECT_EQ(count_picks(balancer, 3, 300), (std::vector<int>{100, 100, 100}));
}

TEST(LeastRequestBalancerTest, AvoidsTheBusyEndpoint) {
  Endpoints endpoints({1, 1, 1});
  LeastRequestBalancer balancer(endpoints.get(), 0);
  for (int i = 0; i < 5; ++i)
    balancer.on_request_start(1);  // a slow endpoint piles up requests
  EXPECT_EQ(count_picks(balancer, 3, 100), (std::vector<int>{50, 0, 50}));
  for (int i = 0; i < 5; ++i)
    balancer.on_request_end(1, std::chrono::milliseconds(5), true);
  EXPECT_EQ(count_picks(balancer, 3, 99), (std::vector<int>{33, 33, 33}));
}

TEST(LeastRequestBalancerTest, OutstandingLoadFollowsTheWeights) {
  // Requests that never end: the balancer keeps outstanding counts in the weights' ratio.
  const std::vector<std::uint32_t> weights{1, 3};
  Endpoints endpoints(weights);
  LeastRequestBalancer balancer(endpoints.get(), 0);
  std::vector<int> hits(2, 0);
  for (int i = 0; i < 400; ++i) {
    const std::size_t pick = balancer.pick({});
    balancer.on_request_start(pick);
    ++hits[pick];
  }
  EXPECT_EQ(hits, (std::vector<int>{100, 300}));
}

TEST(LeastRequestBalancerTest, EndWithoutStartDoesNotUnderflow) {
  Endpoints endpoints({1, 1});
  LeastRequestBalancer balancer(endpoints.get(), 0);
  balancer.on_request_end(0, std::chrono::milliseconds(1), false);
  balancer.on_request_start(1);
  EXPECT_EQ(balancer.pick({}), 0U);
  EXPECT_EQ(balancer.pick({}), 0U);
}

}  // namespace
}  // namespace bulwark::upstream
