// Cache-Control parsing: RFC 9111 §5.2 (and §1.2.2 delta-seconds, §5.4 Pragma), RFC 5861,
// RFC 8246. Test names cite the clause.

#include "cache/policy/cache_control.h"

#include <gtest/gtest.h>

#include <optional>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::fields;

CacheControl response_cc(std::string_view value) {
  return parse_cache_control(fields({{"cache-control", value}}));
}

CacheControl request_cc(testing::FieldList list) {
  return parse_cache_control(fields(list), /*request=*/true);
}

TEST(CacheControl, NoFieldIsNoDirective_9111_5_2) {
  const CacheControl cc = parse_cache_control(fields({{"content-type", "text/plain"}}));
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_private);
  EXPECT_FALSE(cc.is_public);
  EXPECT_FALSE(cc.max_age.has_value());
  EXPECT_FALSE(cc.s_maxage.has_value());
  EXPECT_FALSE(cc.invalid_freshness);
}

TEST(CacheControl, ResponseDirectives_9111_5_2_2) {
  const CacheControl cc = response_cc(
      "public, must-revalidate, proxy-revalidate, must-understand, no-transform, no-store, "
      "max-age=60, s-maxage=120");
  EXPECT_TRUE(cc.is_public);
  EXPECT_TRUE(cc.must_revalidate);
  EXPECT_TRUE(cc.proxy_revalidate);
  EXPECT_TRUE(cc.must_understand);
  EXPECT_TRUE(cc.no_transform);
  EXPECT_TRUE(cc.no_store);
  EXPECT_EQ(cc.max_age, 60);
  EXPECT_EQ(cc.s_maxage, 120);
  EXPECT_FALSE(cc.invalid_freshness);
}

TEST(CacheControl, RequestDirectives_9111_5_2_1) {
  const CacheControl cc =
      request_cc({{"cache-control", "max-age=5, max-stale=10, min-fresh=3, only-if-cached"}});
  EXPECT_EQ(cc.max_age, 5);
  EXPECT_EQ(cc.max_stale, 10);
  EXPECT_FALSE(cc.max_stale_any);
  EXPECT_EQ(cc.min_fresh, 3);
  EXPECT_TRUE(cc.only_if_cached);
}

TEST(CacheControl, MaxStaleWithoutValueIsAny_9111_5_2_1_2) {
  const CacheControl cc = request_cc({{"cache-control", "max-stale"}});
  EXPECT_TRUE(cc.max_stale_any);
  EXPECT_FALSE(cc.max_stale.has_value());
}

TEST(CacheControl, MaxStaleLimitBeatsUnlimited_9111_4_2_1) {
  // The most restrictive of conflicting directives is honoured.
  const CacheControl cc = request_cc({{"cache-control", "max-stale, max-stale=30"}});
  EXPECT_FALSE(cc.max_stale_any);
  EXPECT_EQ(cc.max_stale, 30);
}

TEST(CacheControl, DirectiveNamesCaseInsensitive_9111_5_2) {
  const CacheControl cc = response_cc("No-Store, MAX-AGE=7, S-MaxAge=9, Private");
  EXPECT_TRUE(cc.no_store);
  EXPECT_EQ(cc.max_age, 7);
  EXPECT_EQ(cc.s_maxage, 9);
  EXPECT_TRUE(cc.is_private);
}

TEST(CacheControl, EveryFieldLineCounts_9110_5_3) {
  const CacheControl cc =
      parse_cache_control(fields({{"Cache-Control", "public"}, {"cache-control", "max-age=3"}}));
  EXPECT_TRUE(cc.is_public);
  EXPECT_EQ(cc.max_age, 3);
}

TEST(CacheControl, QuotedArgumentAccepted_9111_5_2) {
  // "Recipients ought to accept both forms, even if a specific form is required for generation."
  const CacheControl cc = response_cc(R"(max-age="30", s-maxage="40")");
  EXPECT_EQ(cc.max_age, 30);
  EXPECT_EQ(cc.s_maxage, 40);
  EXPECT_FALSE(cc.invalid_freshness);
}

TEST(CacheControl, DeltaSecondsOverflowClamped_9111_1_2_2) {
  EXPECT_EQ(response_cc("max-age=99999999999999999999999999").max_age, kMaxDeltaSeconds);
  EXPECT_EQ(response_cc("max-age=2147483648").max_age, kMaxDeltaSeconds);
  EXPECT_EQ(response_cc("max-age=2147483647").max_age, 2147483647);
  EXPECT_EQ(response_cc("max-age=0").max_age, 0);
  EXPECT_EQ(parse_delta_seconds("00012"), 12);
}

TEST(CacheControl, DeltaSecondsRejectsNonDigits_9111_1_2_2) {
  EXPECT_EQ(parse_delta_seconds(""), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("-1"), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("+1"), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("1.5"), std::nullopt);
  EXPECT_EQ(parse_delta_seconds("1 "), std::nullopt);
}

TEST(CacheControl, InvalidMaxAgeIsInvalidFreshness_9111_4_2_1) {
  for (const std::string_view value : {"max-age=abc", "max-age=-1", "max-age=1.5", "max-age",
                                       "max-age=", "s-maxage=x", R"(max-age="12)", "max-age=5 6"}) {
    SCOPED_TRACE(value);
    const CacheControl cc = response_cc(value);
    EXPECT_TRUE(cc.invalid_freshness);
    EXPECT_FALSE(cc.max_age.has_value());
  }
}

TEST(CacheControl, DuplicateDifferentMaxAgeIsInvalid_9111_4_2_1) {
  const CacheControl cc = response_cc("max-age=10, max-age=20");
  EXPECT_TRUE(cc.invalid_freshness);
  EXPECT_EQ(cc.max_age, 10);  // the first, for whoever prefers it
  EXPECT_TRUE(response_cc("s-maxage=1, s-maxage=2").invalid_freshness);
  EXPECT_TRUE(
      parse_cache_control(fields({{"cache-control", "max-age=1"}, {"cache-control", "max-age=2"}}))
          .invalid_freshness);
}

TEST(CacheControl, DuplicateEqualMaxAgeIsValid_9111_4_2_1) {
  const CacheControl cc = response_cc("max-age=10, max-age=10");
  EXPECT_FALSE(cc.invalid_freshness);
  EXPECT_EQ(cc.max_age, 10);
}

TEST(CacheControl, InvalidThenValidMaxAgeStaysInvalid_9111_4_2_1) {
  const CacheControl cc = response_cc("max-age=x, max-age=10");
  EXPECT_TRUE(cc.invalid_freshness);
  EXPECT_EQ(cc.max_age, 10);
}

TEST(CacheControl, NoCacheQualifiedKeepsFieldList_9111_5_2_2_4) {
  const CacheControl cc = response_cc(R"(no-cache="Set-Cookie, X-Token", max-age=5)");
  EXPECT_TRUE(cc.no_cache);
  EXPECT_EQ(cc.no_cache_fields, "Set-Cookie, X-Token");
  EXPECT_EQ(cc.max_age, 5);
}

TEST(CacheControl, NoCacheTokenArgumentAccepted_9111_5_2) {
  const CacheControl cc = response_cc("no-cache=set-cookie");
  EXPECT_TRUE(cc.no_cache);
  EXPECT_EQ(cc.no_cache_fields, "set-cookie");
}

TEST(CacheControl, NoCacheUnqualifiedWinsOverList_9111_4_2_1) {
  for (const std::string_view value :
       {R"(no-cache, no-cache="a")", R"(no-cache="a", no-cache)", R"(no-cache="a", no-cache="b")",
        R"(no-cache="")", R"(no-cache="a)"}) {
    SCOPED_TRACE(value);
    const CacheControl cc = response_cc(value);
    EXPECT_TRUE(cc.no_cache);
    EXPECT_TRUE(cc.no_cache_fields.empty());
  }
}

TEST(CacheControl, PrivateQualifiedKeepsFieldList_9111_5_2_2_7) {
  const CacheControl cc = response_cc(R"(private="x-user", max-age=5)");
  EXPECT_TRUE(cc.is_private);
  EXPECT_EQ(cc.private_fields, "x-user");
  const CacheControl plain = response_cc("private");
  EXPECT_TRUE(plain.is_private);
  EXPECT_TRUE(plain.private_fields.empty());
}

TEST(CacheControl, QuotedStringMayHoldCommas_9110_5_6_4) {
  const CacheControl cc = response_cc(R"(private="a, b", no-store)");
  EXPECT_EQ(cc.private_fields, "a, b");
  EXPECT_TRUE(cc.no_store);
}

TEST(CacheControl, StaleExtensions_5861_3_4) {
  const CacheControl cc = response_cc("max-age=1, stale-while-revalidate=30, stale-if-error=600");
  EXPECT_EQ(cc.stale_while_revalidate, 30);
  EXPECT_EQ(cc.stale_if_error, 600);
  // Invalid values are ignored; the smaller of repeated values is the more restrictive.
  EXPECT_FALSE(response_cc("stale-while-revalidate=x").stale_while_revalidate.has_value());
  EXPECT_EQ(response_cc("stale-if-error=60, stale-if-error=5").stale_if_error, 5);
}

TEST(CacheControl, Immutable_8246_2) {
  EXPECT_TRUE(response_cc("max-age=99, immutable").immutable);
}

TEST(CacheControl, MinFreshLargestWins_9111_4_2_1) {
  EXPECT_EQ(request_cc({{"cache-control", "min-fresh=5, min-fresh=20"}}).min_fresh, 20);
}

TEST(CacheControl, UnknownExtensionsIgnored_9111_5_2_3) {
  const CacheControl cc = response_cc(R"(community="UCI", foo=bar, baz, max-age=4)");
  EXPECT_EQ(cc.max_age, 4);
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.is_private);
  EXPECT_FALSE(cc.invalid_freshness);
}

TEST(CacheControl, OptionalWhitespaceAndEmptyElements_9110_5_6_1) {
  const CacheControl cc = response_cc(" ,, \tno-store ,\t max-age = 3 ,,");
  EXPECT_TRUE(cc.no_store);
  EXPECT_EQ(cc.max_age, 3);
}

TEST(CacheControl, GarbageDoesNotHideLaterDirectives_9111_5_2) {
  const CacheControl cc = response_cc(R"(@@@, "quoted, junk", =5, no-store)");
  EXPECT_TRUE(cc.no_store);
  // A malformed value does not lose the directive's name.
  EXPECT_TRUE(response_cc("no-store garbage").no_store);
  EXPECT_TRUE(response_cc(R"(private="unterminated, max-age=5)").is_private);
}

TEST(CacheControl, ViewsPointIntoTheField_9111_5_2) {
  const http::HeaderMap map = fields({{"cache-control", R"(no-cache="etag")"}});
  const CacheControl cc = parse_cache_control(map);
  const std::string_view value = map.get("cache-control");
  ASSERT_FALSE(cc.no_cache_fields.empty());
  EXPECT_GE(cc.no_cache_fields.data(), value.data());
  EXPECT_LE(cc.no_cache_fields.data() + cc.no_cache_fields.size(), value.data() + value.size());
}

TEST(CacheControl, PragmaNoCacheInRequestWithoutCacheControl_9111_5_4) {
  EXPECT_TRUE(request_cc({{"pragma", "no-cache"}}).no_cache);
  EXPECT_TRUE(request_cc({{"pragma", "x-ext, No-Cache"}}).no_cache);
  EXPECT_FALSE(request_cc({{"pragma", "x-ext"}}).no_cache);
}

TEST(CacheControl, PragmaIgnoredWithCacheControl_9111_5_4) {
  EXPECT_FALSE(request_cc({{"pragma", "no-cache"}, {"cache-control", "max-age=5"}}).no_cache);
}

TEST(CacheControl, PragmaIgnoredInResponses_9111_5_4) {
  EXPECT_FALSE(parse_cache_control(fields({{"pragma", "no-cache"}})).no_cache);
}

}  // namespace
}  // namespace bulwark::cache::policy
