// Storing responses in a shared cache: RFC 9111 §3 (with §3.1, §3.5, §5.2.1.5, §5.2.2.3,
// §5.2.2.5, §5.2.2.7, §4.1) and RFC 9110 §15.1 (heuristically cacheable status codes).

#include "cache/policy/storability.h"

#include <gtest/gtest.h>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::FieldList;
using testing::fields;

StoreDecision decide(http::Method method, FieldList request_fields, std::uint16_t status,
                     FieldList response_fields, StoreOptions options = {}) {
  const http::RequestHead req = testing::request(method, request_fields);
  const http::ResponseHead resp = testing::response(status, response_fields);
  return decide_storable(req, parse_cache_control(req.headers, true), resp,
                         parse_cache_control(resp.headers), options);
}

StoreDecision decide(std::uint16_t status, FieldList response_fields) {
  return decide(http::Method::kGet, {}, status, response_fields);
}

TEST(Storability, FreshGetIsStored_9111_3) {
  EXPECT_EQ(decide(200, {{"cache-control", "max-age=60"}}), StoreDecision::kStore);
  EXPECT_EQ(decide(200, {}), StoreDecision::kStore);  // heuristically cacheable
}

TEST(Storability, OnlyGetIsStored_9111_3) {
  for (const http::Method method : {http::Method::kHead, http::Method::kPost, http::Method::kPut,
                                    http::Method::kDelete, http::Method::kOther}) {
    EXPECT_EQ(decide(method, {}, 200, {{"cache-control", "max-age=60"}}), StoreDecision::kMethod);
  }
}

TEST(Storability, NonFinalStatusNotStored_9111_3) {
  EXPECT_EQ(decide(100, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
  EXPECT_EQ(decide(103, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
}

TEST(Storability, PartialAndNotModifiedNotStored_9111_3_3) {
  // This cache keeps only complete representations; a 304 freshens, it is not stored.
  EXPECT_EQ(decide(206, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
  EXPECT_EQ(decide(304, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
}

TEST(Storability, UnknownStatusNotStored_9111_3) {
  EXPECT_EQ(decide(299, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
  EXPECT_EQ(decide(599, {{"cache-control", "max-age=60"}}), StoreDecision::kStatus);
}

TEST(Storability, RangeRequestNotStored_9111_3_3) {
  EXPECT_EQ(
      decide(http::Method::kGet, {{"range", "bytes=0-9"}}, 200, {{"cache-control", "max-age=60"}}),
      StoreDecision::kRangeOrPartial);
}

TEST(Storability, ResponseNoStore_9111_5_2_2_5) {
  EXPECT_EQ(decide(200, {{"cache-control", "no-store, max-age=60"}}), StoreDecision::kNoStore);
}

TEST(Storability, RequestNoStore_9111_5_2_1_5) {
  EXPECT_EQ(decide(http::Method::kGet, {{"cache-control", "no-store"}}, 200,
                   {{"cache-control", "max-age=60"}}),
            StoreDecision::kNoStore);
}

TEST(Storability, MustUnderstandOverridesNoStoreForUnderstoodStatus_9111_5_2_2_3) {
  EXPECT_EQ(decide(200, {{"cache-control", "must-understand, no-store, max-age=60"}}),
            StoreDecision::kStore);
  // ...but never for a status code the cache does not understand.
  EXPECT_EQ(decide(299, {{"cache-control", "must-understand, no-store, max-age=60"}}),
            StoreDecision::kStatus);
  // must-understand does not lift the request's no-store.
  EXPECT_EQ(decide(http::Method::kGet, {{"cache-control", "no-store"}}, 200,
                   {{"cache-control", "must-understand, no-store, max-age=60"}}),
            StoreDecision::kNoStore);
}

TEST(Storability, UnqualifiedPrivateNotStored_9111_5_2_2_7) {
  EXPECT_EQ(decide(200, {{"cache-control", "private, max-age=60"}}), StoreDecision::kPrivate);
}

TEST(Storability, QualifiedPrivateStored_9111_5_2_2_7) {
  EXPECT_EQ(decide(200, {{"cache-control", R"(private="x-user", max-age=60)"}}),
            StoreDecision::kStore);
}

TEST(Storability, AuthorizationNeedsExplicitPermission_9111_3_5) {
  const FieldList auth{{"authorization", "Bearer t"}};
  EXPECT_EQ(decide(http::Method::kGet, auth, 200, {{"cache-control", "max-age=60"}}),
            StoreDecision::kAuthorization);
  EXPECT_EQ(decide(http::Method::kGet, auth, 200, {}), StoreDecision::kAuthorization);
  EXPECT_EQ(decide(http::Method::kGet, auth, 200, {{"cache-control", "public"}}),
            StoreDecision::kStore);
  EXPECT_EQ(decide(http::Method::kGet, auth, 200, {{"cache-control", "s-maxage=5"}}),
            StoreDecision::kStore);
  EXPECT_EQ(decide(http::Method::kGet, auth, 200, {{"cache-control", "must-revalidate"}}),
            StoreDecision::kStore);
}

TEST(Storability, SetCookiePerOption_9111_7_3) {
  const FieldList cookie{{"set-cookie", "id=1"}, {"cache-control", "max-age=60"}};
  EXPECT_EQ(decide(http::Method::kGet, {}, 200, cookie), StoreDecision::kSetCookie);
  EXPECT_EQ(decide(http::Method::kGet, {}, 200, cookie, {.store_set_cookie = true}),
            StoreDecision::kStore);
}

TEST(Storability, VaryStarNotStored_9111_4_1) {
  EXPECT_EQ(decide(200, {{"vary", "*"}, {"cache-control", "max-age=60"}}),
            StoreDecision::kVaryStar);
  EXPECT_EQ(decide(200, {{"vary", "accept"}, {"Vary", "accept-language, *"}}),
            StoreDecision::kVaryStar);
  EXPECT_EQ(decide(200, {{"vary", "accept-encoding"}}), StoreDecision::kStore);
}

TEST(Storability, NeedsFreshnessOrHeuristicStatus_9111_3) {
  // 302 is not heuristically cacheable: only explicit freshness or public makes it storable.
  EXPECT_EQ(decide(302, {}), StoreDecision::kNotCacheable);
  EXPECT_EQ(decide(302, {{"cache-control", "no-cache"}}), StoreDecision::kNotCacheable);
  EXPECT_EQ(decide(302, {{"cache-control", "max-age=5"}}), StoreDecision::kStore);
  EXPECT_EQ(decide(302, {{"cache-control", "s-maxage=5"}}), StoreDecision::kStore);
  EXPECT_EQ(decide(302, {{"cache-control", "public"}}), StoreDecision::kStore);
  EXPECT_EQ(decide(302, {{"expires", "Sun, 06 Nov 1994 08:49:37 GMT"}}), StoreDecision::kStore);
  EXPECT_EQ(decide(500, {}), StoreDecision::kNotCacheable);
  EXPECT_EQ(decide(404, {}), StoreDecision::kStore);
}

TEST(Storability, NoCacheResponseIsStored_9111_5_2_2_4) {
  // no-cache governs reuse, not storage.
  EXPECT_EQ(decide(200, {{"cache-control", "no-cache"}}), StoreDecision::kStore);
}

TEST(Storability, HeuristicallyCacheableCodes_9110_15_1) {
  for (const std::uint16_t status : {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}) {
    EXPECT_TRUE(heuristically_cacheable(status)) << status;
  }
  for (const std::uint16_t status : {201, 202, 302, 303, 304, 307, 400, 403, 500, 502, 503}) {
    EXPECT_FALSE(heuristically_cacheable(status)) << status;
  }
}

TEST(Storability, DescribeGivesTokens_9211_2_8) {
  EXPECT_EQ(describe(StoreDecision::kNoStore), "no-store");
  EXPECT_EQ(describe(StoreDecision::kPrivate), "private");
  EXPECT_EQ(describe(StoreDecision::kVaryStar), "vary-star");
  EXPECT_EQ(describe(StoreDecision::kRangeOrPartial), "range");
  EXPECT_EQ(describe(StoreDecision::kStore), "stored");
}

TEST(Storability, HopByHopFieldsNotStored_9111_3_1) {
  const http::HeaderMap resp = fields({{"connection", "close, X-Conn"}});
  const CacheControl cc;
  for (const std::string_view name :
       {"Connection", "keep-alive", "TE", "trailer", "Transfer-Encoding", "upgrade",
        "proxy-authenticate", "Proxy-Connection", "x-conn"}) {
    EXPECT_FALSE(stored_field(name, resp, cc)) << name;
  }
  // Age is kept: current_age() needs it (§4.2.3).
  for (const std::string_view name : {"content-type", "etag", "cache-control", "x-other", "age"})
    EXPECT_TRUE(stored_field(name, resp, cc)) << name;
}

TEST(Storability, PrivateFieldsNotStored_9111_5_2_2_7) {
  const http::HeaderMap resp = fields({{"cache-control", R"(private="X-User, set-cookie")"}});
  const CacheControl cc = parse_cache_control(resp);
  EXPECT_FALSE(stored_field("x-user", resp, cc));
  EXPECT_FALSE(stored_field("Set-Cookie", resp, cc));
  EXPECT_TRUE(stored_field("x-users", resp, cc));
}

TEST(Storability, NoCacheFieldsAreStored_9111_5_2_2_4) {
  const http::HeaderMap resp = fields({{"cache-control", R"(no-cache="x-token")"}});
  EXPECT_TRUE(stored_field("x-token", resp, parse_cache_control(resp)));
}

}  // namespace
}  // namespace bulwark::cache::policy
