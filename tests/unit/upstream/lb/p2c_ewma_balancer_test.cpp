#include "upstream/lb/p2c_ewma_balancer.h"

#include <gtest/gtest.h>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using std::chrono::milliseconds;
using testing::count_picks;
using testing::Endpoints;

// Sends `n` requests that each end at once with the endpoint's latency.
std::vector<int> run(P2cEwmaBalancer& balancer, const std::vector<milliseconds>& latency, int n) {
  std::vector<int> hits(latency.size(), 0);
  for (int i = 0; i < n; ++i) {
    const std::size_t pick = balancer.pick({});
    balancer.on_request_start(pick);
    balancer.on_request_end(pick, latency[pick], true);
    ++hits[pick];
  }
  return hits;
}

TEST(P2cEwmaBalancerTest, PrefersTheFasterEndpoint) {
  Endpoints endpoints({1, 1, 1});
  P2cEwmaBalancer balancer(endpoints.get(), 3);
  const std::vector<int> hits =
      run(balancer, {milliseconds(5), milliseconds(50), milliseconds(5)}, 3000);
  // Every pair of distinct draws holds a fast endpoint, so once measured the slow one is never
  // taken again: only its first probes (cost 0 while unmeasured) reach it.
  EXPECT_LE(hits[1], 3);
  EXPECT_NEAR(hits[0], 1500, 150);
  EXPECT_NEAR(hits[2], 1500, 150);
}

TEST(P2cEwmaBalancerTest, PeakReactsAtOnceAndDecaysGradually) {
  Endpoints endpoints({1, 1});
  P2cEwmaBalancer balancer(endpoints.get(), 1);
  balancer.on_request_end(0, milliseconds(10), true);
  balancer.on_request_end(1, milliseconds(20), true);
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{10, 0}));
  balancer.on_request_end(0, milliseconds(100), true);  // one slow answer: avoided at once
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{0, 10}));
  // Fast answers bring it back, but only after several: 100 -> 73 -> 54 -> 40 -> 31 -> 24 -> 20.
  for (int i = 0; i < 5; ++i)
    balancer.on_request_end(0, milliseconds(10), true);
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{0, 10}));
  balancer.on_request_end(0, milliseconds(10), true);
  balancer.on_request_end(0, milliseconds(10), true);
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{10, 0}));
}

TEST(P2cEwmaBalancerTest, OutstandingRequestsRaiseTheCost) {
  Endpoints endpoints({1, 1});
  P2cEwmaBalancer balancer(endpoints.get(), 1);
  balancer.on_request_end(0, milliseconds(10), true);
  balancer.on_request_end(1, milliseconds(15), true);
  balancer.on_request_start(0);  // 10 x 2 > 15 x 1
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{0, 10}));
}

TEST(P2cEwmaBalancerTest, AFastFailureDoesNotLookFast) {
  Endpoints endpoints({1, 1});
  P2cEwmaBalancer balancer(endpoints.get(), 1);
  balancer.on_request_end(0, milliseconds(1), false);  // refused at once
  balancer.on_request_end(1, milliseconds(200), true);
  EXPECT_EQ(count_picks(balancer, 2, 10), (std::vector<int>{0, 10}));
}

TEST(P2cEwmaBalancerTest, UnmeasuredEndpointsAreProbedAndEqualOnesShare) {
  Endpoints endpoints({1, 1, 1, 1});
  P2cEwmaBalancer balancer(endpoints.get(), 9);
  const std::vector<int> hits = run(balancer, std::vector<milliseconds>(4, milliseconds(7)), 4000);
  for (const int h : hits)
    EXPECT_NEAR(h, 1000, 200);
}

}  // namespace
}  // namespace bulwark::upstream
