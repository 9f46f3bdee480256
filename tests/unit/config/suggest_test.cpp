#include "config/suggest.h"

#include <gtest/gtest.h>

#include <array>

namespace bulwark::config {
namespace {

constexpr std::array<std::string_view, 4> kKeys{"listeners", "clusters", "limits", "workers"};

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("abc", ""), 3U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("Listen", "listen"), 0U);  // case does not count
}

TEST(SuggestTest, FindsTheClosePlausibleTypo) {
  EXPECT_EQ(closest_match("listner", kKeys), "listeners");
  EXPECT_EQ(closest_match("cluster", kKeys), "clusters");
  EXPECT_EQ(closest_match("limit", kKeys), "limits");
  EXPECT_EQ(did_you_mean("wrokers", kKeys), "did you mean 'workers'?");
}

TEST(SuggestTest, NothingWhenTooFar) {
  EXPECT_EQ(closest_match("tls", kKeys), "");
  EXPECT_EQ(did_you_mean("admin", kKeys), "");
}

}  // namespace
}  // namespace bulwark::config
