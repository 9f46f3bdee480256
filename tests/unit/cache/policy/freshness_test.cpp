// Freshness: RFC 9111 §4.2.1 (lifetime), §4.2.2 (heuristic), §4.2.3 (age), §5.3 (Expires).

#include "cache/policy/freshness.h"

#include <gtest/gtest.h>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::FieldList;
using testing::fields;

constexpr Seconds kDate = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kDateText = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kHourLater = "Sun, 06 Nov 1994 09:49:37 GMT";
constexpr std::string_view kHourEarlier = "Sun, 06 Nov 1994 07:49:37 GMT";
constexpr std::string_view kTenDaysEarlier = "Thu, 27 Oct 1994 08:49:37 GMT";

constexpr FetchTimes kTimes{.request_time = kDate, .response_time = kDate};

Seconds lifetime(FieldList list, std::uint16_t status = 200, HeuristicOptions heuristic = {},
                 FetchTimes times = kTimes) {
  const http::HeaderMap map = fields(list);
  return freshness_lifetime(status, map, parse_cache_control(map), times, heuristic);
}

TEST(Freshness, SMaxageOverridesMaxAge_9111_4_2_1) {
  EXPECT_EQ(lifetime({{"cache-control", "max-age=10, s-maxage=20"}}), 20);
  EXPECT_EQ(lifetime({{"cache-control", "s-maxage=0, max-age=100"}}), 0);
}

TEST(Freshness, MaxAgeOverridesExpires_9111_4_2_1) {
  EXPECT_EQ(
      lifetime({{"cache-control", "max-age=10"}, {"date", kDateText}, {"expires", kHourLater}}),
      10);
}

TEST(Freshness, ExpiresMinusDate_9111_4_2_1) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", kHourLater}}), 3600);
}

TEST(Freshness, ExpiresBeforeDateIsStale_9111_4_2_1) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", kHourEarlier}}), 0);
}

TEST(Freshness, ExpiresWithoutDateUsesResponseTime_9111_4_2_1) {
  const FetchTimes times{.request_time = kDate - 1800, .response_time = kDate - 1800};
  EXPECT_EQ(lifetime({{"expires", kHourLater}}, 200, {}, times), 5400);
  // An unparsable Date counts as absent.
  EXPECT_EQ(lifetime({{"date", "yesterday"}, {"expires", kHourLater}}, 200, {}, times), 5400);
}

TEST(Freshness, InvalidExpiresIsAlreadyExpired_9111_5_3) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", "0"}}), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", "next week"}}), 0);
  // ...and is explicit: no heuristic takes over from Last-Modified.
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", "0"}, {"last-modified", kTenDaysEarlier}}),
            0);
}

TEST(Freshness, ExpiresAllThreeDateForms_9110_5_6_7) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", "Sunday, 06-Nov-94 09:49:37 GMT"}}), 3600);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", "Sun Nov  6 09:49:37 1994"}}), 3600);
}

TEST(Freshness, ConflictingExpiresIsStale_9111_4_2_1) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", kHourLater}, {"expires", kHourEarlier}}), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"expires", kHourLater}, {"expires", kHourLater}}),
            3600);
}

TEST(Freshness, InvalidFreshnessIsStale_9111_4_2_1) {
  EXPECT_EQ(lifetime({{"cache-control", "max-age=10, max-age=20"}}), 0);
  EXPECT_EQ(
      lifetime({{"cache-control", "max-age=ten"}, {"date", kDateText}, {"expires", kHourLater}}),
      0);
  EXPECT_EQ(lifetime({{"cache-control", "s-maxage=1, s-maxage=2, max-age=60"}}), 0);
}

TEST(Freshness, HeuristicTenPercentOfLastModified_9111_4_2_2) {
  // Ten days since Last-Modified: 10% is a day (86400 s), exactly the default cap.
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kTenDaysEarlier}}), 86400);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}), 360);
}

TEST(Freshness, HeuristicCappedByMax_9111_4_2_2) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kTenDaysEarlier}}, 200,
                     {.fraction = 0.1, .max = 600}),
            600);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}, 200,
                     {.fraction = 0.5, .max = 86400}),
            1800);
}

TEST(Freshness, HeuristicOnlyForHeuristicallyCacheableStatus_9111_4_2_2) {
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}, 404), 360);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}, 302), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}, 500), 0);
}

TEST(Freshness, PublicAllowsHeuristic_9111_4_2_2) {
  EXPECT_EQ(
      lifetime({{"cache-control", "public"}, {"date", kDateText}, {"last-modified", kHourEarlier}},
               302),
      360);
}

TEST(Freshness, HeuristicNeedsLastModifiedInThePast_9111_4_2_2) {
  EXPECT_EQ(lifetime({{"date", kDateText}}), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourLater}}), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", "garbage"}}), 0);
  EXPECT_EQ(lifetime({{"date", kDateText}, {"last-modified", kHourEarlier}}, 200,
                     {.fraction = 0, .max = 86400}),
            0);
}

TEST(Freshness, HeuristicWithoutDateUsesResponseTime_9111_4_2_2) {
  const FetchTimes times{.request_time = kDate + 3600, .response_time = kDate + 3600};
  EXPECT_EQ(lifetime({{"last-modified", kDateText}}, 200, {}, times), 360);
}

TEST(Freshness, ExplicitFreshness_9111_4_2_1) {
  const auto is_explicit = [](FieldList list) {
    const http::HeaderMap map = fields(list);
    return has_explicit_freshness(map, parse_cache_control(map));
  };
  EXPECT_TRUE(is_explicit({{"cache-control", "max-age=1"}}));
  EXPECT_TRUE(is_explicit({{"cache-control", "s-maxage=1"}}));
  EXPECT_TRUE(is_explicit({{"expires", "0"}}));
  EXPECT_TRUE(is_explicit({{"cache-control", "max-age=x"}}));
  EXPECT_FALSE(is_explicit({{"cache-control", "public"}}));
  EXPECT_FALSE(is_explicit({{"last-modified", kDateText}}));
}

TEST(Freshness, AgeWithoutAgeFieldIsResidentTime_9111_4_2_3) {
  const http::HeaderMap map = fields({{"date", kDateText}});
  EXPECT_EQ(current_age(map, kTimes, kDate), 0);
  EXPECT_EQ(current_age(map, kTimes, kDate + 42), 42);
}

TEST(Freshness, AgeFieldIsAddedWithResponseDelay_9111_4_2_3) {
  // corrected_age_value = age_value + response_delay.
  const http::HeaderMap map = fields({{"date", kDateText}, {"age", "100"}});
  const FetchTimes times{.request_time = kDate - 5, .response_time = kDate};
  EXPECT_EQ(current_age(map, times, kDate + 10), 100 + 5 + 10);
}

TEST(Freshness, ApparentAgeFromDate_9111_4_2_3) {
  // apparent_age = response_time - date_value, when larger than the corrected Age.
  const http::HeaderMap map = fields({{"date", kDateText}, {"age", "10"}});
  const FetchTimes times{.request_time = kDate + 59, .response_time = kDate + 60};
  EXPECT_EQ(current_age(map, times, kDate + 60), 60);
  EXPECT_EQ(current_age(map, times, kDate + 70), 70);
}

TEST(Freshness, DateInTheFutureGivesNoNegativeAge_9111_4_2_3) {
  const http::HeaderMap map = fields({{"date", kHourLater}});
  EXPECT_EQ(current_age(map, kTimes, kDate + 5), 5);
}

TEST(Freshness, AbsentDateMeansResponseTime_9111_4_2_3) {
  const http::HeaderMap map = fields({{"age", "30"}});
  const FetchTimes times{.request_time = kDate, .response_time = kDate + 2};
  EXPECT_EQ(current_age(map, times, kDate + 2), 32);
}

TEST(Freshness, InvalidAgeIgnored_9111_5_1) {
  const FetchTimes times{.request_time = kDate, .response_time = kDate};
  EXPECT_EQ(current_age(fields({{"age", "-5"}}), times, kDate + 1), 1);
  EXPECT_EQ(current_age(fields({{"age", "ten"}}), times, kDate + 1), 1);
  EXPECT_EQ(current_age(fields({{"age", " 7 "}}), times, kDate + 1), 8);
}

TEST(Freshness, HugeAgeClamped_9111_1_2_2) {
  EXPECT_EQ(current_age(fields({{"age", "99999999999999999999"}}), kTimes, kDate),
            kMaxDeltaSeconds);
}

TEST(Freshness, ClockGoingBackwardsGivesNoNegativeTerms_9111_4_2_3) {
  const FetchTimes times{.request_time = kDate + 10, .response_time = kDate};
  EXPECT_EQ(current_age(fields({{"date", kDateText}}), times, kDate - 100), 0);
}

}  // namespace
}  // namespace bulwark::cache::policy
