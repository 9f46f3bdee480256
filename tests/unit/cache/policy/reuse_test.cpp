// Reusing stored responses: RFC 9111 §4.2, §4.2.4, §5.2.1, §5.2.2 and RFC 5861 §3, §4.

#include "cache/policy/reuse.h"

#include <gtest/gtest.h>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::fields;

CacheControl request_cc(std::string_view value) {
  return parse_cache_control(fields({{"cache-control", value}}), true);
}

CacheControl response_cc(std::string_view value) {
  return parse_cache_control(fields({{"cache-control", value}}));
}

// A response with `directives`, `age` seconds old, fresh for `lifetime`.
struct Case {
  CacheControl cc;
  StoredState state;
  Case(std::string_view directives, Seconds age, Seconds lifetime)
      : cc(response_cc(directives)), state{.age = age, .lifetime = lifetime, .response_cc = &cc} {}
  Case(const Case&) = delete;
  Case& operator=(const Case&) = delete;
};

Reuse reuse(std::string_view request, std::string_view response, Seconds age, Seconds lifetime) {
  const Case stored(response, age, lifetime);
  return decide_reuse(request_cc(request), stored.state).reuse;
}

bool on_error(std::string_view request, std::string_view response, Seconds age, Seconds lifetime,
              bool configured = false) {
  const Case stored(response, age, lifetime);
  return may_serve_stale_on_error(request_cc(request), stored.state, configured);
}

TEST(Reuse, FreshWhileLifetimeExceedsAge_9111_4_2) {
  EXPECT_EQ(reuse("", "max-age=60", 59, 60), Reuse::kFresh);
  EXPECT_EQ(reuse("", "max-age=60", 60, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("", "", 0, 0), Reuse::kRevalidate);
}

TEST(Reuse, StaleNeedsRevalidation_9111_4_2_4) {
  const Case stored("max-age=60", 61, 60);
  const ReuseDecision decision = decide_reuse({}, stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kRevalidate);
  EXPECT_EQ(decision.reason, "stale");
}

TEST(Reuse, FreshHasNoReason_9111_4) {
  const Case stored("max-age=60", 1, 60);
  const ReuseDecision decision = decide_reuse({}, stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kFresh);
  EXPECT_TRUE(decision.reason.empty());
}

TEST(Reuse, WithoutResponseDirectives_9111_4) {
  const StoredState state{.age = 1, .lifetime = 10, .response_cc = nullptr};
  EXPECT_EQ(decide_reuse({}, state).reuse, Reuse::kFresh);
}

TEST(Reuse, RequestNoCacheRevalidates_9111_5_2_1_4) {
  const Case stored("max-age=60", 1, 60);
  const ReuseDecision decision = decide_reuse(request_cc("no-cache"), stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kRevalidate);
  EXPECT_EQ(decision.reason, "request no-cache");
}

TEST(Reuse, PragmaNoCacheRevalidates_9111_5_4) {
  const Case stored("max-age=60", 1, 60);
  const CacheControl pragma = parse_cache_control(fields({{"pragma", "no-cache"}}), true);
  EXPECT_EQ(decide_reuse(pragma, stored.state).reuse, Reuse::kRevalidate);
}

TEST(Reuse, ResponseNoCacheAlwaysRevalidates_9111_5_2_2_4) {
  const Case stored("no-cache, max-age=60", 1, 60);
  const ReuseDecision decision = decide_reuse({}, stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kRevalidate);
  EXPECT_EQ(decision.reason, "no-cache");
}

TEST(Reuse, QualifiedNoCacheServesFresh_9111_5_2_2_4) {
  EXPECT_EQ(reuse("", R"(no-cache="set-cookie", max-age=60)", 1, 60), Reuse::kFresh);
}

TEST(Reuse, RequestMaxAge_9111_5_2_1_1) {
  EXPECT_EQ(reuse("max-age=10", "max-age=60", 10, 60), Reuse::kFresh);
  EXPECT_EQ(reuse("max-age=10", "max-age=60", 11, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-age=0", "max-age=60", 1, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-age=0", "max-age=60", 0, 60), Reuse::kFresh);
}

TEST(Reuse, RequestInvalidMaxAgeIsStrictest_9111_4_2_1) {
  const Case stored("max-age=60", 0, 60);
  const ReuseDecision decision = decide_reuse(request_cc("max-age=soon"), stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kRevalidate);
  EXPECT_EQ(decision.reason, "request max-age");
}

TEST(Reuse, RequestMinFresh_9111_5_2_1_3) {
  EXPECT_EQ(reuse("min-fresh=20", "max-age=60", 40, 60), Reuse::kFresh);
  EXPECT_EQ(reuse("min-fresh=20", "max-age=60", 41, 60), Reuse::kRevalidate);
}

TEST(Reuse, RequestMaxStaleAllowsStale_9111_5_2_1_2) {
  const Case stored("max-age=60", 90, 60);
  const ReuseDecision decision = decide_reuse(request_cc("max-stale=30"), stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kFresh);
  EXPECT_EQ(decision.reason, "max-stale");
  EXPECT_EQ(reuse("max-stale=30", "max-age=60", 91, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-stale", "max-age=60", 100000, 60), Reuse::kFresh);
}

TEST(Reuse, MaxAgeStillBoundsMaxStale_9111_5_2_1_1) {
  EXPECT_EQ(reuse("max-age=70, max-stale", "max-age=60", 71, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-age=70, max-stale", "max-age=60", 70, 60), Reuse::kFresh);
}

TEST(Reuse, MustRevalidateForbidsMaxStale_9111_5_2_2_2) {
  EXPECT_EQ(reuse("max-stale", "max-age=60, must-revalidate", 61, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-stale", "max-age=60, must-revalidate", 59, 60), Reuse::kFresh);
}

TEST(Reuse, ProxyRevalidateForbidsMaxStale_9111_5_2_2_8) {
  EXPECT_EQ(reuse("max-stale", "max-age=60, proxy-revalidate", 61, 60), Reuse::kRevalidate);
}

TEST(Reuse, SMaxageForbidsMaxStale_9111_5_2_2_10) {
  EXPECT_EQ(reuse("max-stale", "s-maxage=60", 61, 60), Reuse::kRevalidate);
}

TEST(Reuse, StaleWhileRevalidateWindow_5861_3) {
  const Case stored("max-age=60, stale-while-revalidate=30", 89, 60);
  const ReuseDecision decision = decide_reuse({}, stored.state);
  EXPECT_EQ(decision.reuse, Reuse::kStaleWhileRevalidate);
  EXPECT_EQ(decision.reason, "stale-while-revalidate");
  EXPECT_EQ(reuse("", "max-age=60, stale-while-revalidate=30", 90, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("", "max-age=60, stale-while-revalidate=30", 30, 60), Reuse::kFresh);
}

TEST(Reuse, MustRevalidateForbidsStaleWhileRevalidate_9111_5_2_2_2) {
  EXPECT_EQ(reuse("", "max-age=60, stale-while-revalidate=30, must-revalidate", 61, 60),
            Reuse::kRevalidate);
  EXPECT_EQ(reuse("", "max-age=60, stale-while-revalidate=30, proxy-revalidate", 61, 60),
            Reuse::kRevalidate);
}

TEST(Reuse, SMaxageKeepsOriginsStaleWhileRevalidate_5861_3) {
  EXPECT_EQ(reuse("", "s-maxage=60, stale-while-revalidate=30", 61, 60),
            Reuse::kStaleWhileRevalidate);
}

TEST(Reuse, RequestDirectivesBeatStaleWhileRevalidate_9111_5_2_1) {
  EXPECT_EQ(reuse("no-cache", "max-age=60, stale-while-revalidate=30", 61, 60), Reuse::kRevalidate);
  EXPECT_EQ(reuse("max-age=60", "max-age=60, stale-while-revalidate=30", 61, 60),
            Reuse::kRevalidate);
}

TEST(Reuse, StaleIfErrorFromResponse_5861_4) {
  EXPECT_TRUE(on_error("", "max-age=60, stale-if-error=100", 159, 60));
  EXPECT_FALSE(on_error("", "max-age=60, stale-if-error=100", 160, 60));
  EXPECT_FALSE(on_error("", "max-age=60", 61, 60));
}

TEST(Reuse, StaleIfErrorFromRequest_5861_4) {
  EXPECT_TRUE(on_error("stale-if-error=10", "max-age=60", 69, 60));
  EXPECT_FALSE(on_error("stale-if-error=10", "max-age=60", 70, 60));
}

TEST(Reuse, MaxStaleAllowsStaleOnError_9111_5_2_1_2) {
  EXPECT_TRUE(on_error("max-stale=10", "max-age=60", 70, 60));
  EXPECT_FALSE(on_error("max-stale=10", "max-age=60", 71, 60));
}

TEST(Reuse, ConfiguredStaleOnError_5861_4) {
  EXPECT_TRUE(on_error("", "max-age=60", 100000, 60, true));
}

TEST(Reuse, FreshAlwaysServableOnError_9111_4_2) {
  EXPECT_TRUE(on_error("", "max-age=60", 10, 60));
}

TEST(Reuse, MustRevalidateForbidsStaleOnError_9111_5_2_2_2) {
  EXPECT_FALSE(on_error("stale-if-error=100", "max-age=60, must-revalidate, stale-if-error=100", 61,
                        60, true));
  EXPECT_FALSE(on_error("", "max-age=60, proxy-revalidate, stale-if-error=100", 61, 60, true));
  EXPECT_FALSE(on_error("", "no-cache, stale-if-error=100", 61, 60, true));
}

TEST(Reuse, SMaxageForbidsClientLeaveOnError_9111_5_2_2_10) {
  EXPECT_FALSE(on_error("stale-if-error=100", "s-maxage=60", 61, 60, true));
  EXPECT_TRUE(on_error("", "s-maxage=60, stale-if-error=100", 61, 60));
}

TEST(Reuse, WithheldFieldsOfQualifiedNoCache_9111_5_2_2_4) {
  const CacheControl cc = response_cc(R"(no-cache="Set-Cookie, x-token")");
  EXPECT_TRUE(withheld_without_revalidation("set-cookie", cc));
  EXPECT_TRUE(withheld_without_revalidation("X-Token", cc));
  EXPECT_FALSE(withheld_without_revalidation("content-type", cc));
  EXPECT_FALSE(withheld_without_revalidation("set-cookie", response_cc("max-age=5")));
}

}  // namespace
}  // namespace bulwark::cache::policy
