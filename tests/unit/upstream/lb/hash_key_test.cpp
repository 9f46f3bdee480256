#include "upstream/lb/hash_key.h"

#include <gtest/gtest.h>

namespace bulwark::upstream {
namespace {

using Source = config::HashKey::Source;

http::RequestHead request(std::string_view path) {
  http::RequestHead head;
  head.path = path;
  head.headers.add("X-User", "alice");
  head.headers.add("Cookie", "theme=dark");
  head.headers.add("cookie", "a=1; session=s3cr3t ; b=2");
  return head;
}

std::string_view key(Source source, std::string name, std::string_view path = "/a/b?x=1&user=u7") {
  static http::RequestHead head;
  head = request(path);
  return extract_hash_key(config::HashKey{source, std::move(name)}, head, "192.0.2.9");
}

TEST(HashKeyTest, EachSource) {
  EXPECT_EQ(key(Source::kHeader, "x-user"), "alice");
  EXPECT_EQ(key(Source::kCookie, "session"), "s3cr3t");
  EXPECT_EQ(key(Source::kCookie, "theme"), "dark");
  EXPECT_EQ(key(Source::kPath, ""), "/a/b");
  EXPECT_EQ(key(Source::kQuery, "user"), "u7");
  EXPECT_EQ(key(Source::kQuery, "x"), "1");
  EXPECT_EQ(key(Source::kClientAddress, ""), "192.0.2.9");
}

TEST(HashKeyTest, MissingPartsGiveAnEmptyKey) {
  EXPECT_EQ(key(Source::kHeader, "x-other"), "");
  EXPECT_EQ(key(Source::kCookie, "sess"), "");
  EXPECT_EQ(key(Source::kQuery, "use"), "");
  EXPECT_EQ(key(Source::kQuery, "user", "/a/b"), "");
  EXPECT_EQ(key(Source::kPath, "", "/only"), "/only");
}

}  // namespace
}  // namespace bulwark::upstream
