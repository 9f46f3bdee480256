// Conditional requests: RFC 9110 §13.1 (each field) and §13.2.2 (their precedence).

#include "http/conditional.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

namespace bulwark::http {
namespace {

constexpr std::int64_t kModified = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kAtModified = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr std::string_view kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";

const Validators kStrong{.etag = R"("5f-10")", .last_modified = kModified};

HeaderMap fields(std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
  HeaderMap map;
  for (const auto& [name, value] : list)
    map.add(name, value);
  return map;
}

Precondition evaluate(std::initializer_list<std::pair<std::string_view, std::string_view>> list,
                      Method method = Method::kGet, const Validators& validators = kStrong) {
  return evaluate_preconditions(method, fields(list), validators);
}

TEST(ConditionalTest, NoConditionsProceed) {
  EXPECT_EQ(evaluate({}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"accept", "*/*"}}), Precondition::kProceed);
}

TEST(ConditionalTest, EntityTagComparison) {
  // RFC 9110 §8.8.3.2's table.
  EXPECT_FALSE(strong_match(R"(W/"1")", R"(W/"1")"));
  EXPECT_TRUE(weak_match(R"(W/"1")", R"(W/"1")"));
  EXPECT_FALSE(strong_match(R"(W/"1")", R"(W/"2")"));
  EXPECT_FALSE(weak_match(R"(W/"1")", R"(W/"2")"));
  EXPECT_FALSE(strong_match(R"(W/"1")", R"("1")"));
  EXPECT_TRUE(weak_match(R"(W/"1")", R"("1")"));
  EXPECT_TRUE(strong_match(R"("1")", R"("1")"));
  EXPECT_TRUE(weak_match(R"("1")", R"("1")"));
  EXPECT_FALSE(strong_match("1", "1"));  // not entity-tags
  EXPECT_FALSE(weak_match(R"("1)", R"("1)"));
}

TEST(ConditionalTest, IfNoneMatchGives304ForGetAndHead) {
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-10")"}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-10")"}}, Method::kHead), Precondition::kNotModified);
  // Weak comparison: a weak tag from the client matches.
  EXPECT_EQ(evaluate({{"if-none-match", R"(W/"5f-10")"}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-none-match", R"("other", "5f-10")"}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-none-match", R"("a")"}, {"If-None-Match", R"("5f-10")"}}),
            Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-none-match", "*"}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-none-match", R"("other")"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-1")"}}), Precondition::kProceed);
}

TEST(ConditionalTest, IfNoneMatchFailsOtherMethods) {
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-10")"}}, Method::kPut), Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-none-match", "*"}}, Method::kPost), Precondition::kFailed);
}

TEST(ConditionalTest, GarbageInAListMatchesNothing) {
  EXPECT_EQ(evaluate({{"if-none-match", "5f-10"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-match", "5f-10"}}), Precondition::kFailed);
  // What comes before the garbage still counts.
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-10" junk)"}}), Precondition::kNotModified);
}

TEST(ConditionalTest, IfMatchUsesStrongComparison) {
  EXPECT_EQ(evaluate({{"if-match", R"("5f-10")"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-match", R"("x", "5f-10")"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-match", "*"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-match", R"(W/"5f-10")"}}), Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-match", R"("x")"}}), Precondition::kFailed);
  const Validators weak{.etag = R"(W/"5f-10")", .last_modified = kModified};
  EXPECT_EQ(evaluate({{"if-match", R"(W/"5f-10")"}}, Method::kGet, weak), Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-match", "*"}}, Method::kGet, weak), Precondition::kProceed);
}

TEST(ConditionalTest, IfModifiedSince) {
  EXPECT_EQ(evaluate({{"if-modified-since", kAtModified}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-modified-since", kAfter}}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({{"if-modified-since", kBefore}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-modified-since", "Sunday, 06-Nov-94 08:49:37 GMT"}}),
            Precondition::kNotModified);
  // Ignored: an invalid date, a method other than GET and HEAD, no Last-Modified.
  EXPECT_EQ(evaluate({{"if-modified-since", "yesterday"}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-modified-since", kAfter}}, Method::kPost), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-modified-since", kAfter}}, Method::kGet, {.etag = R"("1")"}),
            Precondition::kProceed);
}

TEST(ConditionalTest, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  // §13.2.2 step 4 runs only without If-None-Match, whatever the dates say.
  EXPECT_EQ(evaluate({{"if-none-match", R"("other")"}, {"if-modified-since", kAfter}}),
            Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-none-match", R"("5f-10")"}, {"if-modified-since", kBefore}}),
            Precondition::kNotModified);
}

TEST(ConditionalTest, IfUnmodifiedSince) {
  EXPECT_EQ(evaluate({{"if-unmodified-since", kAtModified}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-unmodified-since", kAfter}}), Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-unmodified-since", kBefore}}), Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-unmodified-since", "garbage"}}), Precondition::kProceed);
}

TEST(ConditionalTest, IfMatchTakesPrecedenceOverIfUnmodifiedSince) {
  EXPECT_EQ(evaluate({{"if-match", R"("5f-10")"}, {"if-unmodified-since", kBefore}}),
            Precondition::kProceed);
  EXPECT_EQ(evaluate({{"if-match", R"("x")"}, {"if-unmodified-since", kAfter}}),
            Precondition::kFailed);
}

TEST(ConditionalTest, FailedIfMatchWinsOverIfNoneMatch) {
  // Step 1 comes before step 3: 412, not 304.
  EXPECT_EQ(evaluate({{"if-match", R"("x")"}, {"if-none-match", R"("5f-10")"}}),
            Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-unmodified-since", kBefore}, {"if-none-match", R"("5f-10")"}}),
            Precondition::kFailed);
  EXPECT_EQ(evaluate({{"if-match", R"("5f-10")"}, {"if-none-match", R"("5f-10")"}}),
            Precondition::kNotModified);
}

TEST(ConditionalTest, IfRange) {
  EXPECT_TRUE(if_range_holds(fields({}), kStrong));
  EXPECT_TRUE(if_range_holds(fields({{"if-range", R"("5f-10")"}}), kStrong));
  EXPECT_FALSE(if_range_holds(fields({{"if-range", R"("other")"}}), kStrong));
  // A weak tag never holds (strong comparison).
  EXPECT_FALSE(if_range_holds(fields({{"if-range", R"(W/"5f-10")"}}), kStrong));
  const Validators weak{.etag = R"(W/"5f-10")", .last_modified = kModified};
  EXPECT_FALSE(if_range_holds(fields({{"if-range", R"(W/"5f-10")"}}), weak));
  // A date must be exactly Last-Modified, and that strong.
  EXPECT_TRUE(if_range_holds(fields({{"if-range", kAtModified}}), kStrong));
  EXPECT_FALSE(if_range_holds(fields({{"if-range", kAfter}}), kStrong));
  EXPECT_FALSE(if_range_holds(fields({{"if-range", kBefore}}), kStrong));
  const Validators fresh{
      .etag = R"(W/"5f-10")", .last_modified = kModified, .last_modified_strong = false};
  EXPECT_FALSE(if_range_holds(fields({{"if-range", kAtModified}}), fresh));
  EXPECT_FALSE(if_range_holds(fields({{"if-range", "garbage"}}), kStrong));
  EXPECT_FALSE(
      if_range_holds(fields({{"if-range", R"("5f-10")"}, {"if-range", R"("5f-10")"}}), kStrong));
}

}  // namespace
}  // namespace bulwark::http
