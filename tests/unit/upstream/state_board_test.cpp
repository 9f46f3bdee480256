#include "upstream/state_board.h"

#include <gtest/gtest.h>

namespace bulwark::upstream {
namespace {

TEST(StateBoardTest, AnEndpointKeepsItsStateWhileASnapshotNamesIt) {
  StateBoard board;
  auto first = board.endpoint("api", "10.0.0.1:80");
  first->set_admin(AdminState::kDraining);
  EXPECT_EQ(board.endpoint("api", "10.0.0.1:80"), first);
  EXPECT_EQ(board.find("api", "10.0.0.1:80"), first);
  // Same address, other cluster: its own state.
  EXPECT_NE(board.endpoint("web", "10.0.0.1:80"), first);
  first.reset();
  EXPECT_EQ(board.find("api", "10.0.0.1:80"), nullptr);
  EXPECT_EQ(board.endpoint("api", "10.0.0.1:80")->admin(), AdminState::kActive);
}

TEST(StateBoardTest, EveryAvailabilityChangeAdvancesTheEpochOnce) {
  StateBoard board;
  auto endpoint = board.endpoint("api", "a:1");
  std::uint64_t epoch = board.epoch();
  endpoint->set_healthy(true);  // no change
  endpoint->set_admin(AdminState::kActive);
  endpoint->readmit(core::Clock::now());  // was not ejected
  EXPECT_EQ(board.epoch(), epoch);

  endpoint->set_healthy(false);
  EXPECT_EQ(board.epoch(), ++epoch);
  endpoint->set_healthy(true);
  EXPECT_EQ(board.epoch(), ++epoch);
  endpoint->set_admin(AdminState::kDisabled);
  EXPECT_EQ(board.epoch(), ++epoch);
}

TEST(StateBoardTest, AnEjectionCountsOnceAndRecordsTheReturn) {
  StateBoard board;
  auto endpoint = board.endpoint("api", "a:1");
  EXPECT_EQ(endpoint->note_error(true).gateway_errors, 1U);
  EXPECT_EQ(endpoint->note_error(true).gateway_errors, 2U);
  // A plain 5xx continues the 5xx streak and ends the gateway one.
  const EndpointState::Streaks streaks = endpoint->note_error(false);
  EXPECT_EQ(streaks.server_errors, 3U);
  EXPECT_EQ(streaks.gateway_errors, 0U);
  endpoint->note_success();
  EXPECT_EQ(endpoint->note_error(true).server_errors, 1U);

  const auto now = core::Clock::now();
  EXPECT_TRUE(endpoint->eject_until(now + std::chrono::seconds(30)));
  EXPECT_FALSE(endpoint->eject_until(now + std::chrono::seconds(60)));  // already out
  EXPECT_TRUE(endpoint->ejected());
  EXPECT_EQ(endpoint->ejected_until(), now + std::chrono::seconds(30));
  EXPECT_EQ(endpoint->ejections(), 1U);
  EXPECT_EQ(endpoint->note_error(true).gateway_errors, 1U);  // the ejection reset the streak

  endpoint->readmit(now + std::chrono::seconds(31));
  EXPECT_FALSE(endpoint->ejected());
  EXPECT_EQ(endpoint->available_since(), now + std::chrono::seconds(31));
  EXPECT_EQ(endpoint->ejections(), 1U);  // the next ejection lasts longer
}

TEST(StateBoardTest, CountersAreSharedPerCluster) {
  StateBoard board;
  auto counters = board.counters("api");
  counters->pending.fetch_add(1);
  EXPECT_EQ(board.counters("api")->pending.load(), 1U);
  EXPECT_EQ(board.counters("web")->pending.load(), 0U);
}

}  // namespace
}  // namespace bulwark::upstream
