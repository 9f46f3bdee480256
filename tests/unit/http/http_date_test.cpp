#include "http/http_date.h"

#include <gtest/gtest.h>

#include <array>

namespace bulwark::http {
namespace {

constexpr std::int64_t kRfcExample = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT

std::string format(std::int64_t seconds) {
  std::array<char, kHttpDateSize> text{};
  return std::string(format_http_date(seconds, text));
}

TEST(HttpDateTest, Formats) {
  EXPECT_EQ(format(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format(951'782'400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format(4'102'444'799), "Thu, 31 Dec 2099 23:59:59 GMT");
  EXPECT_EQ(format(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(HttpDateTest, ParsesTheThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(parse_http_date("Thu Feb 29 00:00:00 2024"), 1'709'164'800);
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-15 00:00:00 GMT"), 1'420'070'400);
}

TEST(HttpDateTest, RoundTrips) {
  for (const std::int64_t t :
       {0LL, 1LL, 86'399LL, 1'000'000'000LL, 1'700'000'000LL, 4'000'000'000LL}) {
    EXPECT_EQ(parse_http_date(format(t)), t) << t;
  }
}

TEST(HttpDateTest, RefusesWhatIsNotADate) {
  for (const std::string_view text :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 29 Feb 2100 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
        " Sun, 06 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z",
        "784111777"}) {
    EXPECT_FALSE(parse_http_date(text).has_value()) << text;
  }
}

TEST(HttpDateTest, LeapSecondReadsAsTheSecondBefore) {
  EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"), 1'483'228'799);
}

}  // namespace
}  // namespace bulwark::http
