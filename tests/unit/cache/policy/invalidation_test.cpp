// Invalidation by unsafe requests: RFC 9111 §4.4.

#include "cache/policy/invalidation.h"

#include <gtest/gtest.h>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::FieldList;

Invalidation invalidate(http::Method method, std::uint16_t status, FieldList response_fields,
                        std::string_view scheme = "https", std::string_view host = "example.com") {
  const http::RequestHead req = testing::request(method, {{"host", host}});
  return invalidation_for(req, scheme, testing::response(status, response_fields));
}

TEST(Invalidation, SafeMethodsInvalidateNothing_9111_4_4) {
  for (const http::Method method :
       {http::Method::kGet, http::Method::kHead, http::Method::kOptions, http::Method::kTrace}) {
    const Invalidation result = invalidate(method, 200, {{"location", "/a"}});
    EXPECT_FALSE(result.target);
    EXPECT_TRUE(result.location.empty());
  }
}

TEST(Invalidation, UnsafeMethodsInvalidateTarget_9111_4_4) {
  for (const http::Method method : {http::Method::kPost, http::Method::kPut, http::Method::kDelete,
                                    http::Method::kPatch, http::Method::kOther}) {
    EXPECT_TRUE(invalidate(method, 200, {}).target);
  }
}

TEST(Invalidation, OnlyNonErrorStatus_9111_4_4) {
  EXPECT_TRUE(invalidate(http::Method::kPost, 204, {}).target);
  EXPECT_TRUE(invalidate(http::Method::kPost, 303, {}).target);
  EXPECT_FALSE(invalidate(http::Method::kPost, 100, {}).target);
  EXPECT_FALSE(invalidate(http::Method::kPost, 404, {}).target);
  EXPECT_FALSE(invalidate(http::Method::kPost, 500, {}).target);
}

TEST(Invalidation, AbsolutePathLocation_9111_4_4) {
  const Invalidation result =
      invalidate(http::Method::kPost, 201,
                 {{"location", "/items/7?x=1#frag"}, {"content-location", "/items/7"}});
  EXPECT_EQ(result.location, "/items/7?x=1");
  EXPECT_EQ(result.content_location, "/items/7");
}

TEST(Invalidation, AbsoluteUriSameOrigin_9111_4_4) {
  EXPECT_EQ(
      invalidate(http::Method::kPost, 201, {{"location", "https://Example.com/a?b"}}).location,
      "/a?b");
  EXPECT_EQ(
      invalidate(http::Method::kPost, 201, {{"location", "HTTPS://example.com:443/a"}}).location,
      "/a");
  EXPECT_EQ(invalidate(http::Method::kPost, 201, {{"location", "https://example.com"}}).location,
            "/");
  EXPECT_EQ(invalidate(http::Method::kPost, 201, {{"location", "//example.com/a"}}).location, "/a");
}

TEST(Invalidation, OtherOriginNotInvalidated_9111_4_4) {
  for (const std::string_view location :
       {"https://other.com/a", "http://example.com/a", "https://example.com:8443/a",
        "https://example.com.evil/a", "//other.com/a", "mailto:a@example.com", "urn:example:a"}) {
    SCOPED_TRACE(location);
    EXPECT_TRUE(invalidate(http::Method::kPost, 201, {{"location", location}}).location.empty());
  }
}

TEST(Invalidation, UserinfoIsNotTheHost_9111_4_4) {
  EXPECT_TRUE(
      invalidate(http::Method::kPost, 201, {{"location", "https://example.com@other.com/a"}})
          .location.empty());
}

TEST(Invalidation, PortOfTheRequestHostCompared_9111_4_4) {
  EXPECT_EQ(invalidate(http::Method::kPost, 201, {{"location", "http://example.com:8080/a"}},
                       "http", "example.com:8080")
                .location,
            "/a");
  EXPECT_EQ(invalidate(http::Method::kPost, 201, {{"location", "http://example.com/a"}}, "http",
                       "example.com:80")
                .location,
            "/a");
}

TEST(Invalidation, RelativePathLeftAlone_9111_4_4) {
  EXPECT_TRUE(invalidate(http::Method::kPost, 201, {{"location", "items/7"}}).location.empty());
  EXPECT_TRUE(invalidate(http::Method::kPost, 201, {{"location", "?page=2"}}).location.empty());
}

TEST(Invalidation, NoHostNoAbsoluteUri_9111_4_4) {
  http::RequestHead req = testing::request(http::Method::kPost, {});
  const Invalidation result = invalidation_for(
      req, "https",
      testing::response(201, {{"location", "https://example.com/a"}, {"content-location", "/b"}}));
  EXPECT_TRUE(result.target);
  EXPECT_TRUE(result.location.empty());
  EXPECT_EQ(result.content_location, "/b");
}

}  // namespace
}  // namespace bulwark::cache::policy
