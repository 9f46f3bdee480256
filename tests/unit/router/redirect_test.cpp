#include "router/redirect.h"

#include <gtest/gtest.h>

namespace bulwark::router {
namespace {

std::string location(const config::RedirectAction& action, std::string_view host,
                     std::string_view target, std::string_view scheme = "http",
                     const PathRewriter* prefix = nullptr) {
  return redirect_location(action, prefix, {.scheme = scheme, .host = host, .target = target});
}

TEST(RedirectTest, NothingConfiguredKeepsEverything) {
  EXPECT_EQ(location({}, "example.com:8080", "/a/b?x=1"), "http://example.com:8080/a/b?x=1");
}

TEST(RedirectTest, HttpToHttpsDropsThePlainTextPort) {
  config::RedirectAction action;
  action.scheme = "https";
  EXPECT_EQ(location(action, "example.com:8080", "/a?b"), "https://example.com/a?b");
  EXPECT_EQ(location(action, "example.com", "/"), "https://example.com/");
}

TEST(RedirectTest, ConfiguredPortAndDefaultPortOmitted) {
  config::RedirectAction action;
  action.scheme = "https";
  action.port = 8443;
  EXPECT_EQ(location(action, "example.com", "/x"), "https://example.com:8443/x");
  action.port = 443;
  EXPECT_EQ(location(action, "example.com:80", "/x"), "https://example.com/x");
}

TEST(RedirectTest, HostReplacedAndPortOfTheOldHostDropped) {
  config::RedirectAction action;
  action.host = "www.example.com";
  EXPECT_EQ(location(action, "example.com:8080", "/x"), "http://www.example.com/x");
}

TEST(RedirectTest, Ipv6HostKeepsItsBrackets) {
  EXPECT_EQ(location({}, "[::1]:8080", "/x"), "http://[::1]:8080/x");
  config::RedirectAction action;
  action.scheme = "https";
  EXPECT_EQ(location(action, "[::1]:8080", "/x"), "https://[::1]/x");
}

TEST(RedirectTest, PathReplacesPathAndKeepsQueryUnlessItHasItsOwn) {
  config::RedirectAction action;
  action.path = "/new";
  EXPECT_EQ(location(action, "h", "/old?q=1"), "http://h/new?q=1");
  action.path = "/new?from=old";
  EXPECT_EQ(location(action, "h", "/old?q=1"), "http://h/new?from=old");
}

TEST(RedirectTest, StripQuery) {
  config::RedirectAction action;
  action.strip_query = true;
  EXPECT_EQ(location(action, "h", "/p?secret=1"), "http://h/p");
}

TEST(RedirectTest, PrefixRewrite) {
  const PathRewriter prefix = PathRewriter::prefix("/old/", "/new/");
  EXPECT_EQ(location({}, "h", "/old/a/b?c", "https", &prefix), "https://h/new/a/b?c");
}

}  // namespace
}  // namespace bulwark::router
