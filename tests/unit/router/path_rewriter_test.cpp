#include "router/path_rewriter.h"

#include <gtest/gtest.h>

namespace bulwark::router {
namespace {

TEST(PathRewriterTest, PrefixIsReplacedAndQueryKept) {
  const PathRewriter rewriter = PathRewriter::prefix("/api/", "/v2/");
  EXPECT_EQ(rewriter.apply("/api/users?id=1"), "/v2/users?id=1");
  EXPECT_EQ(rewriter.apply("/api/"), "/v2/");
}

TEST(PathRewriterTest, PrefixToRootAndToNothing) {
  EXPECT_EQ(PathRewriter::prefix("/api/", "/").apply("/api/users"), "/users");
  EXPECT_EQ(PathRewriter::prefix("/api", "").apply("/api/users"), "/users");
  // Nothing left at all is still an origin-form target.
  EXPECT_EQ(PathRewriter::prefix("/api", "").apply("/api?x=1"), "/?x=1");
}

TEST(PathRewriterTest, RegexReplacesEveryMatchWithGroups) {
  const std::optional<PathRewriter> rewriter =
      PathRewriter::regex("^/users/([0-9]+)/posts/([0-9]+)$", "/p/\\2?user=\\1");
  ASSERT_TRUE(rewriter);
  EXPECT_EQ(rewriter->apply("/users/7/posts/42"), "/p/42?user=7");
  const std::optional<PathRewriter> dashes = PathRewriter::regex("_", "-");
  ASSERT_TRUE(dashes);
  EXPECT_EQ(dashes->apply("/a_b_c?q=x_y"), "/a-b-c?q=x_y");  // the query is not rewritten
}

TEST(PathRewriterTest, RegexWithoutMatchLeavesThePath) {
  const std::optional<PathRewriter> rewriter = PathRewriter::regex("^/old/", "/new/");
  ASSERT_TRUE(rewriter);
  EXPECT_EQ(rewriter->apply("/other/x?y"), "/other/x?y");
}

TEST(PathRewriterTest, RegexResultWithoutLeadingSlashGetsOne) {
  const std::optional<PathRewriter> rewriter = PathRewriter::regex("^/strip/", "");
  ASSERT_TRUE(rewriter);
  EXPECT_EQ(rewriter->apply("/strip/x"), "/x");
}

TEST(PathRewriterTest, BadPatternIsRefused) {
  EXPECT_FALSE(PathRewriter::regex("(unclosed", "x"));
}

TEST(PathRewriterTest, ForProxyChoosesTheConfiguredRewrite) {
  config::RouteMatch match;
  match.path = "/app/";
  config::ProxyAction none;
  EXPECT_FALSE(PathRewriter::for_proxy(none, match));
  config::ProxyAction prefix;
  prefix.prefix_rewrite = "/";
  ASSERT_TRUE(PathRewriter::for_proxy(prefix, match));
  EXPECT_EQ(PathRewriter::for_proxy(prefix, match)->apply("/app/x"), "/x");
  config::ProxyAction regex;
  regex.regex_rewrite = config::ProxyAction::RegexRewrite{"^/app/(.*)$", "/\\1/index"};
  ASSERT_TRUE(PathRewriter::for_proxy(regex, match));
  EXPECT_EQ(PathRewriter::for_proxy(regex, match)->apply("/app/y"), "/y/index");
}

}  // namespace
}  // namespace bulwark::router
