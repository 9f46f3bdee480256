#include "router/query_string.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bulwark::router {
namespace {

std::vector<std::pair<std::string, std::string>> params_of(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  QueryParams params(query);
  for (QueryParam param; params.next(param);)
    out.emplace_back(param.name, param.value);
  return out;
}

std::string decoded(std::string_view encoded) {
  std::string out(encoded.size(), '\0');
  out.resize(percent_decode(encoded, out.data()));
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(QueryStringTest, SplitsOnAmpersandAndTheFirstEquals) {
  EXPECT_EQ(params_of("a=1&b=2=3&c&=4&d="),
            (Pairs{{"a", "1"}, {"b", "2=3"}, {"c", ""}, {"", "4"}, {"d", ""}}));
}

TEST(QueryStringTest, SkipsEmptyPieces) {
  EXPECT_EQ(params_of(""), Pairs{});
  EXPECT_EQ(params_of("&&a=1&&"), (Pairs{{"a", "1"}}));
  EXPECT_EQ(params_of("&"), Pairs{});
}

TEST(QueryStringTest, DecodesPercentAndPlus) {
  EXPECT_EQ(decoded("a%20b+c%2Bd%2b"), "a b c+d+");
  EXPECT_EQ(decoded("%41%7a%00"), std::string("Az\0", 3));
  EXPECT_EQ(decoded("%C3%A9"), "\xC3\xA9");
}

TEST(QueryStringTest, KeepsBrokenEscapesAsTheyAre) {
  EXPECT_EQ(decoded("%"), "%");
  EXPECT_EQ(decoded("%4"), "%4");
  EXPECT_EQ(decoded("%zz%41"), "%zzA");
  EXPECT_EQ(decoded("100%"), "100%");
  EXPECT_EQ(decoded("%%41"), "%A");
}

TEST(QueryStringTest, DecodesToComparesWithoutABuffer) {
  EXPECT_TRUE(decodes_to("a%20b+c", "a b c"));
  EXPECT_TRUE(decodes_to("", ""));
  EXPECT_TRUE(decodes_to("%4", "%4"));
  EXPECT_FALSE(decodes_to("a%20b", "a b "));
  EXPECT_FALSE(decodes_to("a%20b", "a "));
  EXPECT_FALSE(decodes_to("a+", "a+"));
  EXPECT_FALSE(decodes_to("%41", "%41"));
}

}  // namespace
}  // namespace bulwark::router
