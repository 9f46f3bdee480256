#include <gtest/gtest.h>

#include "upstream/retry_budget.h"
#include "upstream/retry_policy.h"

namespace bulwark::upstream {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryBudgetTest, RetriesStayWithinTheShareOfRequests) {
  RetryBudget budget(20, 0);
  const core::Clock::time_point now = core::Clock::now();
  int granted = 0;
  for (int i = 0; i < 1000; ++i) {
    budget.on_request();
    granted += static_cast<int>(budget.try_withdraw(now));
  }
  EXPECT_EQ(granted, 200);  // 20% of 1000 requests, never more
}

TEST(RetryBudgetTest, AQuietClusterStillGetsItsMinimumPerSecond) {
  RetryBudget budget(20, 3);
  core::Clock::time_point now = core::Clock::now();
  int granted = 0;
  for (int i = 0; i < 10; ++i)
    granted += static_cast<int>(budget.try_withdraw(now));
  EXPECT_EQ(granted, 3);
  EXPECT_FALSE(budget.try_withdraw(now + milliseconds(500)));
  now += seconds(10);  // a long pause banks no more than one second's worth
  granted = 0;
  for (int i = 0; i < 10; ++i)
    granted += static_cast<int>(budget.try_withdraw(now));
  EXPECT_EQ(granted, 3);
}

TEST(RetryBudgetTest, DepositsFadeOverSeconds) {
  RetryBudget budget(100, 0);
  core::Clock::time_point now = core::Clock::now();
  for (int i = 0; i < 10; ++i)
    budget.on_request();  // 10 retries' worth
  EXPECT_TRUE(budget.try_withdraw(now));
  now += seconds(30);  // 9 x 0.9^30 < 1
  EXPECT_FALSE(budget.try_withdraw(now));
}

TEST(RetryPolicyTest, OnlyIdempotentMethodsAreResentByDefault) {
  config::RetryPolicy policy;
  http::RequestHead request;
  request.method = http::Method::kGet;
  request.method_token = "GET";
  EXPECT_TRUE(may_resend(policy, request));
  request.method = http::Method::kPost;
  request.method_token = "POST";
  EXPECT_FALSE(may_resend(policy, request));
  policy.methods = {"GET", "POST"};  // a route that allows more
  EXPECT_TRUE(may_resend(policy, request));
  request.method = http::Method::kPut;
  request.method_token = "PUT";
  EXPECT_FALSE(may_resend(policy, request));  // the list replaces the default
}

TEST(RetryPolicyTest, StatusesAreRetriedOnlyWhenListed) {
  config::RetryPolicy policy;
  EXPECT_FALSE(retries_status(policy, 503));
  policy.on_statuses = {502, 503};
  EXPECT_TRUE(retries_status(policy, 503));
  EXPECT_FALSE(retries_status(policy, 504));
}

TEST(RetryPolicyTest, BackoffIsJitteredBelowAnExponentialCeiling) {
  config::RetryPolicy policy;
  policy.backoff_base = milliseconds(10);
  policy.backoff_max = milliseconds(70);
  SplitMix64 random(1);
  for (std::uint32_t retry = 1; retry <= 6; ++retry) {
    const auto ceiling = std::min(milliseconds(10) * (1 << (retry - 1)), milliseconds(70));
    core::Clock::duration longest{};
    for (int i = 0; i < 2000; ++i) {
      const core::Clock::duration wait = backoff_delay(policy, retry, random);
      EXPECT_GE(wait, core::Clock::duration::zero());
      EXPECT_LT(wait, ceiling);
      longest = std::max(longest, wait);
    }
    EXPECT_GT(longest, ceiling * 9 / 10) << "retry " << retry;  // the whole range is used
  }
  policy.backoff_base = milliseconds(0);
  EXPECT_EQ(backoff_delay(policy, 1, random), core::Clock::duration::zero());
}

}  // namespace
}  // namespace bulwark::upstream
