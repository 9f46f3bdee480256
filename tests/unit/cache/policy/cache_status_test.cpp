// The Cache-Status field: RFC 9211 §2 (and RFC 8941 for its structured-field syntax).

#include "cache/policy/cache_status.h"

#include <gtest/gtest.h>

namespace bulwark::cache::policy {
namespace {

TEST(CacheStatus, Hit_9211_2_1) {
  EXPECT_EQ(format_cache_status("bulwark", {}), "bulwark; hit");
  EXPECT_EQ(format_cache_status("bulwark", {.ttl = 42}), "bulwark; hit; ttl=42");
}

TEST(CacheStatus, ForwardReasons_9211_2_2) {
  const std::pair<Forward, std::string_view> cases[] = {
      {Forward::kBypass, "bypass"},    {Forward::kMethod, "method"},
      {Forward::kUriMiss, "uri-miss"}, {Forward::kVaryMiss, "vary-miss"},
      {Forward::kMiss, "miss"},        {Forward::kRequest, "request"},
      {Forward::kStale, "stale"},
  };
  for (const auto& [forward, token] : cases) {
    EXPECT_EQ(format_cache_status("c", {.forward = forward}), "c; fwd=" + std::string(token));
  }
}

TEST(CacheStatus, ForwardStatus_9211_2_3) {
  EXPECT_EQ(format_cache_status("bulwark",
                                {.forward = Forward::kStale, .forward_status = 304, .ttl = 60}),
            "bulwark; fwd=stale; fwd-status=304; ttl=60");
  // A hit forwarded nothing, so it has no forward status.
  EXPECT_EQ(format_cache_status("bulwark", {.forward_status = 200}), "bulwark; hit");
}

TEST(CacheStatus, NegativeTtlWhenStale_9211_2_4) {
  EXPECT_EQ(format_cache_status("bulwark", {.ttl = -5}), "bulwark; hit; ttl=-5");
}

TEST(CacheStatus, StoredAndCollapsed_9211_2_5_2_6) {
  EXPECT_EQ(format_cache_status("bulwark", {.forward = Forward::kMiss, .stored = true}),
            "bulwark; fwd=miss; stored");
  EXPECT_EQ(format_cache_status("bulwark", {.forward = Forward::kUriMiss, .collapsed = true}),
            "bulwark; fwd=uri-miss; collapsed");
}

TEST(CacheStatus, DetailAsTokenOrString_9211_2_8) {
  EXPECT_EQ(format_cache_status("bulwark", {.forward = Forward::kBypass, .detail = "no-store"}),
            "bulwark; fwd=bypass; detail=no-store");
  EXPECT_EQ(
      format_cache_status("bulwark", {.forward = Forward::kMiss, .detail = "request no-cache"}),
      R"(bulwark; fwd=miss; detail="request no-cache")");
  EXPECT_EQ(format_cache_status("b", {.forward = Forward::kMiss, .detail = "a \"q\" \\ \x01"}),
            R"(b; fwd=miss; detail="a \"q\" \\ ?")");
  // A token starts with a letter or "*".
  EXPECT_EQ(format_cache_status("b", {.forward = Forward::kMiss, .detail = "5xx"}),
            R"(b; fwd=miss; detail="5xx")");
}

TEST(CacheStatus, NameAsTokenOrString_9211_2) {
  EXPECT_EQ(format_cache_status("edge.example:8080", {}), "edge.example:8080; hit");
  EXPECT_EQ(format_cache_status("my cache", {}), R"("my cache"; hit)");
  EXPECT_EQ(format_cache_status("", {}), R"(""; hit)");
}

TEST(CacheStatus, AllParametersInOrder_9211_2) {
  EXPECT_EQ(format_cache_status("bulwark", {.forward = Forward::kVaryMiss,
                                            .forward_status = 200,
                                            .ttl = 30,
                                            .stored = true,
                                            .collapsed = true,
                                            .detail = "x"}),
            "bulwark; fwd=vary-miss; fwd-status=200; ttl=30; stored; collapsed; detail=x");
}

TEST(CacheStatus, TtlClampedToSfInteger_8941_3_3_1) {
  EXPECT_EQ(format_cache_status("b", {.ttl = INT64_MAX}), "b; hit; ttl=999999999999999");
  EXPECT_EQ(format_cache_status("b", {.ttl = INT64_MIN}), "b; hit; ttl=-999999999999999");
}

}  // namespace
}  // namespace bulwark::cache::policy
