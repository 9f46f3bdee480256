#include "upstream/availability.h"

#include <gtest/gtest.h>

#include "cluster_fixture.h"

namespace bulwark::upstream {
namespace {

using std::chrono::seconds;
using testing::ClusterFixture;
using Weights = std::vector<std::uint32_t>;

const core::Clock::time_point kNow = core::Clock::now();

TEST(AvailabilityTest, EveryEndpointInWithItsScaledWeight) {
  ClusterFixture f({1, 3}, "weighted_round_robin");
  Weights weights;
  const Availability a = compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_TRUE(a.any);
  EXPECT_FALSE(a.panic);
  EXPECT_EQ(a.healthy, 2U);
  EXPECT_EQ(weights, (Weights{100, 300}));
  EXPECT_EQ(a.next_change, core::Clock::time_point::max());
}

TEST(AvailabilityTest, UnhealthyEjectedDrainedAndDisabledAreOut) {
  ClusterFixture f({1, 1, 1, 1, 1, 1});
  f.spec.panic_threshold_percent = 0;
  f.state(1).set_healthy(false);
  f.state(2).eject_until(kNow + seconds(30));
  f.state(3).set_admin(AdminState::kDraining);
  f.state(4).set_admin(AdminState::kDisabled);
  Weights weights;
  const Availability a = compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_EQ(weights, (Weights{100, 0, 0, 0, 0, 100}));
  EXPECT_EQ(a.healthy, 2U);
  EXPECT_EQ(a.next_change, kNow + seconds(30));  // the ejection ends then
}

TEST(AvailabilityTest, AnEjectionWhoseTimeIsUpCountsAsEnded) {
  ClusterFixture f({1, 1});
  f.state(0).eject_until(kNow - seconds(1));
  Weights weights;
  compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_EQ(weights, (Weights{100, 100}));
}

TEST(AvailabilityTest, PanicSpreadsOverEveryEndpointTheOperatorLeftIn) {
  ClusterFixture f({1, 2, 1, 1}, "weighted_round_robin");
  f.spec.panic_threshold_percent = 50;
  f.state(0).set_healthy(false);
  f.state(1).set_healthy(false);
  f.state(2).eject_until(kNow + seconds(5));
  f.state(3).set_admin(AdminState::kDisabled);
  Weights weights;
  // 0 of 3 candidates healthy (< 50%): all three in, with configured weights; disabled stays out.
  const Availability a = compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_TRUE(a.panic);
  EXPECT_TRUE(a.any);
  EXPECT_EQ(weights, (Weights{100, 200, 100, 0}));
}

TEST(AvailabilityTest, NoPanicAtTheThreshold) {
  ClusterFixture f({1, 1, 1, 1});
  f.spec.panic_threshold_percent = 50;
  f.state(0).set_healthy(false);
  f.state(1).set_healthy(false);
  Weights weights;
  const Availability a = compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_FALSE(a.panic);  // 2 of 4 is not fewer than 50%
  EXPECT_EQ(weights, (Weights{0, 0, 100, 100}));
}

TEST(AvailabilityTest, NothingAvailableWithoutPanic) {
  ClusterFixture f({1, 1});
  f.spec.panic_threshold_percent = 0;
  f.state(0).set_healthy(false);
  f.state(1).set_healthy(false);
  Weights weights;
  EXPECT_FALSE(compute_weights(f.spec, f.cluster, kNow, weights).any);
  // Drained and disabled endpoints are out even in panic.
  ClusterFixture g({1});
  g.state(0).set_admin(AdminState::kDraining);
  EXPECT_FALSE(compute_weights(g.spec, g.cluster, kNow, weights).any);
}

TEST(AvailabilityTest, SlowStartRampsLinearlyFromTheMinimum) {
  ClusterFixture f({2, 2}, "weighted_round_robin");
  f.spec.slow_start = std::chrono::seconds(10);
  f.spec.min_slow_start_percent = 10;
  f.state(0).set_healthy(false);
  f.state(0).set_healthy(true);  // came back now
  const core::Clock::time_point back = f.state(0).available_since();
  Weights weights;
  Availability a = compute_weights(f.spec, f.cluster, back, weights);
  EXPECT_EQ(weights, (Weights{20, 200}));                           // the 10% floor
  EXPECT_EQ(a.next_change, back + std::chrono::milliseconds(500));  // 20 steps per window
  compute_weights(f.spec, f.cluster, back + seconds(5), weights);
  EXPECT_EQ(weights, (Weights{100, 200}));
  a = compute_weights(f.spec, f.cluster, back + seconds(10), weights);
  EXPECT_EQ(weights, (Weights{200, 200}));
  EXPECT_EQ(a.next_change, core::Clock::time_point::max());
}

TEST(AvailabilityTest, RoundRobinGetsEqualWeights) {
  ClusterFixture f({1, 5});  // round robin ignores configured weights
  Weights weights;
  compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_EQ(weights, (Weights{100, 100}));
}

TEST(AvailabilityTest, NoSlowStartForEndpointsThatNeverLeft) {
  ClusterFixture f({1});
  f.spec.slow_start = std::chrono::seconds(10);
  Weights weights;
  compute_weights(f.spec, f.cluster, kNow, weights);
  EXPECT_EQ(weights, (Weights{100}));
}

}  // namespace
}  // namespace bulwark::upstream
