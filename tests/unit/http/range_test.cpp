// Range requests: RFC 9110 §14.1.1 syntax, §14.1.2 satisfiability, and nginx's choices where the
// RFC leaves one (http/range.h).

#include "http/range.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::http {
namespace {

using ::testing::ElementsAre;

std::vector<ByteRange> ranges_of(std::string_view value, std::uint64_t length) {
  const RangeSet set = parse_range(value, length);
  EXPECT_EQ(set.outcome, RangeOutcome::kSatisfiable) << value;
  return {set.view().begin(), set.view().end()};
}

RangeOutcome outcome_of(std::string_view value, std::uint64_t length) {
  return parse_range(value, length).outcome;
}

TEST(RangeTest, FirstAndLastPosition) {
  EXPECT_THAT(ranges_of("bytes=0-499", 10'000), ElementsAre(ByteRange{0, 500}));
  EXPECT_THAT(ranges_of("bytes=500-999", 10'000), ElementsAre(ByteRange{500, 500}));
  EXPECT_THAT(ranges_of("bytes=9999-9999", 10'000), ElementsAre(ByteRange{9999, 1}));
}

TEST(RangeTest, LastPositionBeyondTheEndIsClamped) {
  EXPECT_THAT(ranges_of("bytes=9500-20000", 10'000), ElementsAre(ByteRange{9500, 500}));
  EXPECT_THAT(ranges_of("bytes=0-99999999999999999999999", 10), ElementsAre(ByteRange{0, 10}));
}

TEST(RangeTest, OpenRangeRunsToTheEnd) {
  EXPECT_THAT(ranges_of("bytes=9500-", 10'000), ElementsAre(ByteRange{9500, 500}));
  EXPECT_THAT(ranges_of("bytes=0-", 1), ElementsAre(ByteRange{0, 1}));
}

TEST(RangeTest, SuffixRangeIsTheLastBytes) {
  EXPECT_THAT(ranges_of("bytes=-500", 10'000), ElementsAre(ByteRange{9500, 500}));
  // A suffix longer than the representation is all of it.
  EXPECT_THAT(ranges_of("bytes=-20000", 10'000), ElementsAre(ByteRange{0, 10'000}));
  EXPECT_THAT(ranges_of("bytes=-1", 1), ElementsAre(ByteRange{0, 1}));
}

TEST(RangeTest, UnitIsCaseInsensitiveAndListWhitespaceIsAllowed) {
  EXPECT_THAT(ranges_of("Bytes=0-0", 10), ElementsAre(ByteRange{0, 1}));
  EXPECT_THAT(ranges_of("BYTES= 0-0 ,\t2-3", 10), ElementsAre(ByteRange{0, 1}, ByteRange{2, 2}));
  // Empty list elements are part of the list rule.
  EXPECT_THAT(ranges_of("bytes=,0-0,,2-3,", 10), ElementsAre(ByteRange{0, 1}, ByteRange{2, 2}));
}

TEST(RangeTest, SeveralRangesKeepTheirOrder) {
  EXPECT_THAT(ranges_of("bytes=500-599,0-99,-100", 10'000),
              ElementsAre(ByteRange{500, 100}, ByteRange{0, 100}, ByteRange{9900, 100}));
}

TEST(RangeTest, UnsatisfiableRangesAreDroppedWhenOthersAreSatisfiable) {
  EXPECT_THAT(ranges_of("bytes=20000-30000,0-1", 10'000), ElementsAre(ByteRange{0, 2}));
  EXPECT_THAT(ranges_of("bytes=-0,5-", 10), ElementsAre(ByteRange{5, 5}));
}

TEST(RangeTest, NothingSatisfiableIs416) {
  EXPECT_EQ(outcome_of("bytes=10000-", 10'000), RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(outcome_of("bytes=10000-10001", 10'000), RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(outcome_of("bytes=-0", 10'000), RangeOutcome::kUnsatisfiable);
  EXPECT_EQ(outcome_of("bytes=20000-30000,40000-", 10'000), RangeOutcome::kUnsatisfiable);
}

TEST(RangeTest, InvalidSyntaxIsIgnored) {
  for (const std::string_view value :
       {"bytes=", "bytes=,", "bytes=-", "bytes=a-b", "bytes=1-a", "bytes=5-3", "bytes=0-1-2",
        "bytes=0 -1", "bytes=- 1", "bytes=0-1;x", "bytes", "0-499", "bytes 0-499", "items=0-1",
        "bytes=0-1,5-3", "bytes=+1-2", "bytes=0x10-20"}) {
    EXPECT_EQ(outcome_of(value, 10'000), RangeOutcome::kIgnore) << value;
  }
}

TEST(RangeTest, EmptyRepresentationIsSentWhole) {
  EXPECT_EQ(outcome_of("bytes=0-", 0), RangeOutcome::kIgnore);
  EXPECT_EQ(outcome_of("bytes=-5", 0), RangeOutcome::kIgnore);
}

TEST(RangeTest, OverlappingRangesThatAddUpToMoreThanTheWholeAreIgnored) {
  // As nginx: more bytes than the representation is a request to send it whole.
  EXPECT_EQ(outcome_of("bytes=0-,0-", 100), RangeOutcome::kIgnore);
  EXPECT_EQ(outcome_of("bytes=0-60,40-99", 100), RangeOutcome::kIgnore);
  // Overlapping but smaller than the whole: served as asked.
  EXPECT_THAT(ranges_of("bytes=0-10,5-15", 100), ElementsAre(ByteRange{0, 11}, ByteRange{5, 11}));
}

TEST(RangeTest, TooManyRangesAreIgnored) {
  std::string value = "bytes=";
  for (std::size_t i = 0; i < kMaxRanges; ++i)
    value += std::to_string(i * 2) + "-" + std::to_string(i * 2) + ",";
  EXPECT_EQ(parse_range(value, 1000).count, kMaxRanges);
  value += "999-999";
  EXPECT_EQ(outcome_of(value, 1000), RangeOutcome::kIgnore);
  // Unsatisfiable ones count too: the limit is on the work of reading the list.
  std::string many = "bytes=0-0";
  for (std::size_t i = 0; i < kMaxRanges; ++i)
    many += ",5000-";
  EXPECT_EQ(outcome_of(many, 1000), RangeOutcome::kIgnore);
}

TEST(RangeTest, ContentRange) {
  std::array<char, kContentRangeSize> text{};
  EXPECT_EQ(content_range({0, 500}, 1234, text), "bytes 0-499/1234");
  EXPECT_EQ(content_range({1233, 1}, 1234, text), "bytes 1233-1233/1234");
  EXPECT_EQ(content_range({0, UINT64_MAX}, UINT64_MAX, text),
            "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(unsatisfiable_content_range(1234, text), "bytes */1234");
}

TEST(RangeTest, MultipartBody) {
  const std::vector<ByteRange> ranges{{0, 2}, {8, 2}};
  const MultipartByteranges body(ranges, 10, "text/plain", "B0UND");
  EXPECT_EQ(body.content_type(), "multipart/byteranges; boundary=B0UND");
  EXPECT_EQ(body.part_head(0),
            "--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n");
  EXPECT_EQ(body.part_head(1),
            "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n");
  EXPECT_EQ(body.closing(), "\r\n--B0UND--\r\n");
  const std::string whole = body.part_head(0) + "ab" + body.part_head(1) + "ij" + body.closing();
  EXPECT_EQ(body.body_length(), whole.size());
}

}  // namespace
}  // namespace bulwark::http
