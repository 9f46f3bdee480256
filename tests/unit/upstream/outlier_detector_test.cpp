#include "upstream/outlier_detector.h"

#include <gtest/gtest.h>

#include "cluster_fixture.h"

namespace bulwark::upstream {
namespace {

using std::chrono::seconds;
using testing::ClusterFixture;

const core::Clock::time_point kNow = core::Clock::now();

config::OutlierDetection policy() {
  config::OutlierDetection p;
  p.consecutive_5xx = 5;
  p.consecutive_gateway_errors = 3;
  p.base_ejection_time = config::Duration(10'000);
  p.max_ejection_time = config::Duration(25'000);
  p.max_ejection_percent = 50;
  return p;
}

TEST(OutlierDetectorTest, StatusesAreClassified) {
  EXPECT_EQ(outcome_of_status(200), AttemptOutcome::kSuccess);
  EXPECT_EQ(outcome_of_status(404), AttemptOutcome::kSuccess);
  EXPECT_EQ(outcome_of_status(500), AttemptOutcome::kServerError);
  EXPECT_EQ(outcome_of_status(501), AttemptOutcome::kServerError);
  EXPECT_EQ(outcome_of_status(502), AttemptOutcome::kGatewayError);
  EXPECT_EQ(outcome_of_status(503), AttemptOutcome::kGatewayError);
  EXPECT_EQ(outcome_of_status(504), AttemptOutcome::kGatewayError);
  EXPECT_EQ(outcome_of_status(505), AttemptOutcome::kServerError);
}

TEST(OutlierDetectorTest, GatewayErrorsInARowEject) {
  ClusterFixture f({1, 1, 1, 1});
  EXPECT_FALSE(record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, kNow));
  EXPECT_FALSE(record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, kNow));
  EXPECT_TRUE(record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, kNow));
  EXPECT_TRUE(f.state(0).ejected());
  EXPECT_EQ(f.state(0).ejected_until(), kNow + seconds(10));
}

TEST(OutlierDetectorTest, ASuccessBreaksTheStreak) {
  ClusterFixture f({1, 1});
  for (int round = 0; round < 3; ++round) {
    record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, kNow);
    record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, kNow);
    record_outcome(policy(), f.cluster, 0, AttemptOutcome::kSuccess, kNow);
  }
  EXPECT_FALSE(f.state(0).ejected());
}

TEST(OutlierDetectorTest, Plain5xxCountOnlyTowardsTheirOwnRule) {
  ClusterFixture f({1, 1});
  // 500s do not make a gateway streak; five 5xx of any kind in a row do eject.
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(record_outcome(policy(), f.cluster, 1, AttemptOutcome::kServerError, kNow));
  EXPECT_TRUE(record_outcome(policy(), f.cluster, 1, AttemptOutcome::kServerError, kNow));
}

TEST(OutlierDetectorTest, AZeroThresholdTurnsItsRuleOff) {
  ClusterFixture f({1, 1});
  config::OutlierDetection off = policy();
  off.consecutive_5xx = 0;
  off.consecutive_gateway_errors = 0;
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(record_outcome(off, f.cluster, 0, AttemptOutcome::kGatewayError, kNow));
}

TEST(OutlierDetectorTest, TheMaximumShareHoldsButOneMayAlwaysGo) {
  ClusterFixture f({1, 1, 1, 1});
  const auto eject = [&](std::size_t i) {
    bool ejected = false;
    for (int n = 0; n < 3; ++n)
      ejected = record_outcome(policy(), f.cluster, i, AttemptOutcome::kGatewayError, kNow);
    return ejected;
  };
  EXPECT_TRUE(eject(0));
  EXPECT_TRUE(eject(1));
  EXPECT_FALSE(eject(2));  // 50% of 4 are out already
  EXPECT_FALSE(f.state(2).ejected());

  ClusterFixture pair({1, 1});
  config::OutlierDetection strict = policy();
  strict.max_ejection_percent = 10;  // 10% of 2 rounds down to 0, yet one may go
  for (int n = 0; n < 3; ++n)
    record_outcome(strict, pair.cluster, 0, AttemptOutcome::kGatewayError, kNow);
  EXPECT_TRUE(pair.state(0).ejected());
}

TEST(OutlierDetectorTest, RepeatedEjectionsLastLongerUpToTheMaximum) {
  EXPECT_EQ(ejection_time(policy(), 0), seconds(10));
  EXPECT_EQ(ejection_time(policy(), 1), seconds(20));
  EXPECT_EQ(ejection_time(policy(), 2), seconds(25));
  EXPECT_EQ(ejection_time(policy(), 1000), seconds(25));

  ClusterFixture f({1, 1});
  core::Clock::time_point now = kNow;
  const auto fail_three_times = [&] {
    for (int n = 0; n < 3; ++n)
      record_outcome(policy(), f.cluster, 0, AttemptOutcome::kGatewayError, now);
  };
  fail_three_times();
  EXPECT_EQ(f.state(0).ejected_until(), now + seconds(10));
  now += seconds(11);
  f.state(0).readmit(now);
  fail_three_times();  // right after its return: the second ejection in a row
  EXPECT_EQ(f.state(0).ejected_until(), now + seconds(20));
  now += seconds(21);
  f.state(0).readmit(now);
  now += seconds(26);  // in longer than the maximum ejection time: forgiven
  fail_three_times();
  EXPECT_EQ(f.state(0).ejected_until(), now + seconds(10));
}

}  // namespace
}  // namespace bulwark::upstream
