// Request path to file name: rewrite, decoding, dot segments, and what is refused (static_path.h).

#include "router/static/static_path.h"

#include <gtest/gtest.h>

namespace bulwark::router {
namespace {

config::StaticAction action(bool dotfiles = false) {
  config::StaticAction files;
  files.root = "/srv/www";
  files.dotfiles = dotfiles;
  return files;
}

const config::RouteMatch kEverything{};

// The relative name, or "400" / "404".
std::string mapped(std::string_view path, const config::StaticAction& files = action(),
                   const config::RouteMatch& match = kEverything) {
  const auto result = map_static_path(path, files, match);
  if (!result) return result.error() == PathRefusal::kBadRequest ? "400" : "404";
  return std::string(result->relative);
}

bool directory_form(std::string_view path) {
  const auto result = map_static_path(path, action(), kEverything);
  EXPECT_TRUE(result.has_value()) << path;
  return result && result->directory_form;
}

TEST(StaticPathTest, PlainPaths) {
  EXPECT_EQ(mapped("/"), "");
  EXPECT_EQ(mapped("/index.html"), "index.html");
  EXPECT_EQ(mapped("/css/site.css"), "css/site.css");
  EXPECT_EQ(mapped("//css///site.css"), "css/site.css");
}

TEST(StaticPathTest, PercentEncodingIsDecodedOnce) {
  EXPECT_EQ(mapped("/a%20b.txt"), "a b.txt");
  EXPECT_EQ(mapped("/%E2%82%AC.txt"), "\xE2\x82\xAC.txt");
  EXPECT_EQ(mapped("/a+b"), "a+b");  // '+' is a plus in a path, not a space
  // Twice-encoded stays encoded once: a file named "%2e%2e", not "..".
  EXPECT_EQ(mapped("/%252e%252e/secret"), "%2e%2e/secret");
}

TEST(StaticPathTest, DotSegmentsResolveInsideTheRoot) {
  EXPECT_EQ(mapped("/a/./b"), "a/b");
  EXPECT_EQ(mapped("/a/../b"), "b");
  EXPECT_EQ(mapped("/a/b/../../c"), "c");
  EXPECT_EQ(mapped("/a/%2e%2e/b"), "b");
  EXPECT_EQ(mapped("/a/%2E./b"), "b");
  EXPECT_EQ(mapped("/a/.."), "");
}

TEST(StaticPathTest, ClimbingAboveTheRootIsNotFound) {
  EXPECT_EQ(mapped("/../etc/passwd"), "404");
  EXPECT_EQ(mapped("/a/../../etc/passwd"), "404");
  EXPECT_EQ(mapped("/%2e%2e/etc/passwd"), "404");
  EXPECT_EQ(mapped("/%2E%2E/%2E%2E/etc/passwd"), "404");
  EXPECT_EQ(mapped("/.."), "404");
  EXPECT_EQ(mapped("/./../x"), "404");
}

TEST(StaticPathTest, EncodedSlashIsNotFound) {
  EXPECT_EQ(mapped("/a%2fb"), "404");
  EXPECT_EQ(mapped("/..%2f..%2fetc%2fpasswd"), "404");
  EXPECT_EQ(mapped("/a%2Fb"), "404");
}

TEST(StaticPathTest, NulAndMalformedEscapesAreBadRequests) {
  EXPECT_EQ(mapped("/a%00.txt"), "400");
  EXPECT_EQ(mapped("/index.html%00.png"), "400");
  EXPECT_EQ(mapped(std::string_view("/a\0b", 4)), "400");
  EXPECT_EQ(mapped("/a%zz"), "400");
  EXPECT_EQ(mapped("/a%2"), "400");
  EXPECT_EQ(mapped("/a%"), "400");
  EXPECT_EQ(mapped("/%g0"), "400");
}

TEST(StaticPathTest, DotfilesAreNotFoundByDefault) {
  EXPECT_EQ(mapped("/.env"), "404");
  EXPECT_EQ(mapped("/.git/config"), "404");
  EXPECT_EQ(mapped("/a/.htpasswd"), "404");
  EXPECT_EQ(mapped("/%2egit/config"), "404");
  EXPECT_EQ(mapped("/.well-known/acme-challenge/x"), "404");
  // Only the resolved path counts.
  EXPECT_EQ(mapped("/.git/../index.html"), "index.html");
  EXPECT_EQ(mapped("/a.b/c..d"), "a.b/c..d");
}

TEST(StaticPathTest, DotfilesWhenAllowed) {
  const config::StaticAction open = action(true);
  EXPECT_EQ(mapped("/.env", open), ".env");
  EXPECT_EQ(mapped("/.well-known/acme-challenge/x", open), ".well-known/acme-challenge/x");
  EXPECT_EQ(mapped("/../.env", open), "404");
}

TEST(StaticPathTest, DirectoryForm) {
  EXPECT_TRUE(directory_form("/"));
  EXPECT_TRUE(directory_form("/docs/"));
  EXPECT_TRUE(directory_form("/docs/."));
  EXPECT_TRUE(directory_form("/docs/sub/.."));
  EXPECT_TRUE(directory_form("/docs/%2e"));
  EXPECT_FALSE(directory_form("/docs"));
  EXPECT_FALSE(directory_form("/docs/a.."));
  EXPECT_FALSE(directory_form("/docs/x"));
}

TEST(StaticPathTest, PrefixRewriteReplacesTheMatchedPrefix) {
  config::StaticAction files = action();
  files.prefix_rewrite = "/";
  config::RouteMatch match;
  match.path = "/static/";
  EXPECT_EQ(mapped("/static/css/a.css", files, match), "css/a.css");
  EXPECT_EQ(mapped("/static/", files, match), "");
  // The rewritten part still cannot climb out of the root.
  EXPECT_EQ(mapped("/static/../../etc/passwd", files, match), "404");
  EXPECT_EQ(mapped("/static/%2e%2e/x", files, match), "404");

  files.prefix_rewrite = "/images/";
  match.path = "/i/";
  EXPECT_EQ(mapped("/i/logo.png", files, match), "images/logo.png");
  EXPECT_EQ(mapped("/i/../x", files, match), "x");

  // Without a rewrite the whole path maps under the root.
  EXPECT_EQ(mapped("/i/logo.png", action(), match), "i/logo.png");
}

TEST(StaticPathTest, PrefixRewriteKeepsTheUrlsDirectoryForm) {
  config::StaticAction files = action();
  files.prefix_rewrite = "/";
  config::RouteMatch match;
  match.path = "/static";
  const auto bare = map_static_path("/static", files, match);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->relative, "");
  EXPECT_FALSE(bare->directory_form);  // so that it gets a 301 to /static/
}

TEST(StaticPathTest, DirectoryLocation) {
  std::pmr::memory_resource* memory = std::pmr::get_default_resource();
  EXPECT_EQ(directory_location("/docs", "", memory), "/docs/");
  EXPECT_EQ(directory_location("/docs", "?a=1", memory), "/docs/?a=1");
  EXPECT_EQ(directory_location("/a%20b", "", memory), "/a%20b/");
  // Never a network-path reference ("//host/") that would send the client to another site.
  EXPECT_EQ(directory_location("//evil.example", "", memory), "/evil.example/");
  EXPECT_EQ(directory_location("/\\evil.example", "", memory), "/evil.example/");
  EXPECT_EQ(directory_location("///\\/evil.example", "", memory), "/evil.example/");
}

}  // namespace
}  // namespace bulwark::router
