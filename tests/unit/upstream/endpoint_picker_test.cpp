#include "upstream/endpoint_picker.h"

#include <gtest/gtest.h>

#include <set>

#include "cluster_fixture.h"

namespace bulwark::upstream {
namespace {

using std::chrono::seconds;
using testing::ClusterFixture;

std::set<std::size_t> picked_in(EndpointPicker& picker, int n, core::Clock::time_point now) {
  std::set<std::size_t> seen;
  for (int i = 0; i < n; ++i) {
    const std::optional<std::size_t> picked = picker.pick({}, now);
    if (picked) seen.insert(*picked);
  }
  return seen;
}

TEST(EndpointPickerTest, FollowsTheSharedStatesAsTheyChange) {
  ClusterFixture f({1, 1, 1});
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  const core::Clock::time_point now = core::Clock::now();
  EXPECT_EQ(picked_in(picker, 30, now), (std::set<std::size_t>{0, 1, 2}));
  f.state(1).set_healthy(false);  // another thread's health checker, say
  EXPECT_EQ(picked_in(picker, 30, now), (std::set<std::size_t>{0, 2}));
  EXPECT_FALSE(picker.available(1));
  f.state(2).set_admin(AdminState::kDraining);
  EXPECT_EQ(picked_in(picker, 30, now), (std::set<std::size_t>{0}));
  f.state(1).set_healthy(true);
  f.state(2).set_admin(AdminState::kActive);
  EXPECT_EQ(picked_in(picker, 30, now), (std::set<std::size_t>{0, 1, 2}));
}

TEST(EndpointPickerTest, NothingWhenEveryEndpointIsOut) {
  ClusterFixture f({1, 1});
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  f.state(0).set_admin(AdminState::kDisabled);
  f.state(1).set_admin(AdminState::kDisabled);
  EXPECT_EQ(picker.pick({}, core::Clock::now()), std::nullopt);
}

TEST(EndpointPickerTest, AnEjectionEndsOnTimeAndTheEndpointReturns) {
  ClusterFixture f({1, 1});
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  const core::Clock::time_point now = core::Clock::now();
  f.state(0).eject_until(now + seconds(10));
  EXPECT_EQ(picked_in(picker, 10, now), (std::set<std::size_t>{1}));
  EXPECT_EQ(picked_in(picker, 10, now + seconds(9)), (std::set<std::size_t>{1}));
  // No epoch moved: the picker readmits it itself when its time is up.
  EXPECT_EQ(picked_in(picker, 10, now + seconds(10)), (std::set<std::size_t>{0, 1}));
  EXPECT_FALSE(f.state(0).ejected());
  EXPECT_EQ(f.state(0).available_since(), now + seconds(10));
}

TEST(EndpointPickerTest, ARetryGoesToAnotherEndpoint) {
  for (const char* balancer : {"round_robin", "random", "consistent_hash", "source_ip_hash"}) {
    ClusterFixture f({1, 1, 1}, balancer);
    if (f.spec.balancer == "consistent_hash") f.spec.hash_key = config::HashKey{};
    EndpointPicker picker(f.spec, f.cluster, f.board, 0);
    const core::Clock::time_point now = core::Clock::now();
    const PickContext context{.client_address = "192.0.2.7", .hash_key = {}};
    for (int i = 0; i < 20; ++i) {
      const std::size_t first = *picker.pick(context, now);
      const std::optional<std::size_t> other = picker.pick_other(context, now, first);
      ASSERT_TRUE(other.has_value());
      EXPECT_NE(*other, first) << balancer;
    }
  }
}

TEST(EndpointPickerTest, ARetryAvoidsEndpointsThatAreOut) {
  ClusterFixture f({1, 1, 1}, "source_ip_hash");
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  const core::Clock::time_point now = core::Clock::now();
  const PickContext context{.client_address = "192.0.2.7", .hash_key = {}};
  const std::size_t first = *picker.pick(context, now);
  f.state((first + 1) % 3).set_healthy(false);
  EXPECT_EQ(picker.pick_other(context, now, first), (first + 2) % 3);
}

TEST(EndpointPickerTest, SaysOnceWhichEndpointsWereDisabled) {
  ClusterFixture f({1, 1, 1});
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  const core::Clock::time_point now = core::Clock::now();
  picker.pick({}, now);
  EXPECT_FALSE(picker.has_newly_disabled());
  f.state(2).set_admin(AdminState::kDisabled);
  f.state(1).set_admin(AdminState::kDraining);  // draining keeps its connections
  picker.pick({}, now);
  ASSERT_TRUE(picker.has_newly_disabled());
  EXPECT_EQ(picker.take_newly_disabled(), (std::vector<std::size_t>{2}));
  EXPECT_FALSE(picker.has_newly_disabled());
  picker.pick({}, now);
  EXPECT_FALSE(picker.has_newly_disabled());  // still disabled: not new
  f.state(2).set_admin(AdminState::kActive);
  picker.pick({}, now);
  f.state(2).set_admin(AdminState::kDisabled);
  picker.pick({}, now);
  EXPECT_EQ(picker.take_newly_disabled(), (std::vector<std::size_t>{2}));
}

TEST(EndpointPickerTest, ASingleEndpointIsRetriedItself) {
  ClusterFixture f({1});
  EndpointPicker picker(f.spec, f.cluster, f.board, 0);
  EXPECT_EQ(picker.pick_other({}, core::Clock::now(), 0), 0U);
}

}  // namespace
}  // namespace bulwark::upstream
