// Each matcher of a route on its own: regex paths, methods, headers, query parameters, client
// networks, and all of them together.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "route_builders.h"
#include "router/router.h"

namespace bulwark::router {
namespace {

using config::ValueMatchKind;
using fixtures::exact_route;
using fixtures::listener;
using fixtures::prefix_route;
using fixtures::regex_route;
using fixtures::value_match;
using fixtures::vhost;

// One virtual host with `routes` and a catch-all after them (index routes.size()); the tests
// read which route index a request lands on.
class RouteConditionsTest : public ::testing::Test {
 protected:
  void use(std::vector<config::Route> routes) {
    routes.push_back(prefix_route("/"));
    listener_ = listener({vhost({"*"}, std::move(routes))});
    router_ = std::make_unique<Router>(listener_);
  }

  std::uint32_t index(const RouteQuery& query) const {
    const RouteHit hit = router_->route(query);
    EXPECT_NE(hit.route, nullptr);
    return hit.route_index;
  }

  std::uint32_t index(std::string_view target, std::string_view method = "GET") const {
    return index({.host = "h", .target = target, .method = method});
  }

  std::uint32_t with_headers(const std::vector<http::HeaderField>& fields,
                             std::string_view target = "/") const {
    http::HeaderMap headers;
    for (const http::HeaderField& field : fields)
      headers.add(field.name, field.value);
    return index({.host = "h", .target = target, .method = "GET", .headers = &headers});
  }

  std::uint32_t from(std::string_view client) const {
    return index(
        {.host = "h", .target = "/", .method = "GET", .client = asio::ip::make_address(client)});
  }

  config::Listener listener_;
  std::unique_ptr<Router> router_;
};

// ---- regex paths --------------------------------------------------------------------------------

TEST_F(RouteConditionsTest, RegexMatchesTheWholePath) {
  use({regex_route("/users/[0-9]+")});
  EXPECT_EQ(index("/users/42"), 0U);
  EXPECT_EQ(index("/users/42/"), 1U);   // full match: no trailing part
  EXPECT_EQ(index("/x/users/42"), 1U);  // nor a leading one
  EXPECT_EQ(index("/users/"), 1U);
}

TEST_F(RouteConditionsTest, RegexIgnoresTheQuery) {
  use({regex_route("/search"), regex_route(".*q=1.*")});
  EXPECT_EQ(index("/search?q=1"), 0U);
  EXPECT_EQ(index("/other?q=1"), 2U);  // the query is not part of the path
}

TEST_F(RouteConditionsTest, RegexIsCaseSensitiveUnlessItSaysOtherwise) {
  use({regex_route("/a/[a-z]+"), regex_route("(?i)/b/x")});
  EXPECT_EQ(index("/a/abc"), 0U);
  EXPECT_EQ(index("/a/ABC"), 2U);
  EXPECT_EQ(index("/B/X"), 1U);
}

TEST_F(RouteConditionsTest, RegexAmongPrefixesKeepsRouteOrder) {
  use({prefix_route("/static/"), regex_route("/static/.*\\.css"), regex_route("/img/.*"),
       exact_route("/img/logo.png")});
  EXPECT_EQ(index("/static/site.css"), 0U);  // the prefix comes first
  EXPECT_EQ(index("/img/logo.png"), 2U);     // the regex comes before the exact path
  EXPECT_EQ(index("/img"), 4U);
}

// ---- methods ------------------------------------------------------------------------------------

TEST_F(RouteConditionsTest, MethodsLimitARoute) {
  config::Route writes = prefix_route("/api");
  writes.match.methods = {"POST", "PUT"};
  config::Route reads = prefix_route("/api");
  reads.match.methods = {"GET"};
  use({writes, reads});
  EXPECT_EQ(index("/api/x", "POST"), 0U);
  EXPECT_EQ(index("/api/x", "PUT"), 0U);
  EXPECT_EQ(index("/api/x", "GET"), 1U);
  EXPECT_EQ(index("/api/x", "DELETE"), 2U);
  EXPECT_EQ(index("/api/x", "post"), 2U);  // method tokens are case-sensitive
}

// ---- headers ------------------------------------------------------------------------------------

TEST_F(RouteConditionsTest, HeaderPresent) {
  config::Route route = prefix_route("/");
  route.match.headers = {value_match("x-debug", ValueMatchKind::kPresent)};
  use({route});
  EXPECT_EQ(with_headers({{"X-Debug", ""}}), 0U);  // names are case-insensitive; empty counts
  EXPECT_EQ(with_headers({{"x-debugger", "1"}}), 1U);
  EXPECT_EQ(with_headers({}), 1U);
  EXPECT_EQ(index("/"), 1U);  // no header map at all
}

TEST_F(RouteConditionsTest, HeaderExact) {
  config::Route route = prefix_route("/");
  route.match.headers = {value_match("x-version", ValueMatchKind::kExact, "2")};
  use({route});
  EXPECT_EQ(with_headers({{"x-version", "2"}}), 0U);
  EXPECT_EQ(with_headers({{"x-version", "20"}}), 1U);
  EXPECT_EQ(with_headers({{"x-version", "1"}, {"X-Version", "2"}}), 0U);  // any of its fields
}

TEST_F(RouteConditionsTest, HeaderRegexIsAFullMatch) {
  config::Route route = prefix_route("/");
  route.match.headers = {value_match("user-agent", ValueMatchKind::kRegex, ".*[Bb]ot.*")};
  config::Route anchored = prefix_route("/");
  anchored.match.headers = {value_match("accept", ValueMatchKind::kRegex, "text/html")};
  use({route, anchored});
  EXPECT_EQ(with_headers({{"user-agent", "Googlebot/2.1"}}), 0U);
  EXPECT_EQ(with_headers({{"user-agent", "curl/8"}}), 2U);
  EXPECT_EQ(with_headers({{"accept", "text/html"}}), 1U);
  EXPECT_EQ(with_headers({{"accept", "text/html,*/*"}}), 2U);
}

TEST_F(RouteConditionsTest, HeaderInvert) {
  config::Route no_cookie = prefix_route("/");
  no_cookie.match.headers = {value_match("cookie", ValueMatchKind::kPresent, "", true)};
  use({no_cookie});
  EXPECT_EQ(with_headers({}), 0U);
  EXPECT_EQ(with_headers({{"cookie", "a=1"}}), 1U);

  config::Route not_v2 = prefix_route("/");
  not_v2.match.headers = {value_match("x-version", ValueMatchKind::kExact, "2", true)};
  use({not_v2});
  EXPECT_EQ(with_headers({{"x-version", "1"}}), 0U);
  EXPECT_EQ(with_headers({}), 0U);
  // Repeating the field does not get past the inverted condition.
  EXPECT_EQ(with_headers({{"x-version", "1"}, {"x-version", "2"}}), 1U);

  config::Route not_json = prefix_route("/");
  not_json.match.headers = {
      value_match("content-type", ValueMatchKind::kRegex, "application/json.*", true)};
  use({not_json});
  EXPECT_EQ(with_headers({{"content-type", "text/plain"}}), 0U);
  EXPECT_EQ(with_headers({{"content-type", "application/json; charset=utf-8"}}), 1U);
}

TEST_F(RouteConditionsTest, AllHeaderConditionsMustHold) {
  config::Route route = prefix_route("/");
  route.match.headers = {value_match("x-a", ValueMatchKind::kExact, "1"),
                         value_match("x-b", ValueMatchKind::kPresent)};
  use({route});
  EXPECT_EQ(with_headers({{"x-a", "1"}, {"x-b", "z"}}), 0U);
  EXPECT_EQ(with_headers({{"x-a", "1"}}), 1U);
  EXPECT_EQ(with_headers({{"x-b", "z"}}), 1U);
}

// ---- query parameters ---------------------------------------------------------------------------

TEST_F(RouteConditionsTest, QueryPresent) {
  config::Route route = prefix_route("/");
  route.match.query = {value_match("debug", ValueMatchKind::kPresent)};
  use({route});
  EXPECT_EQ(index("/?debug"), 0U);
  EXPECT_EQ(index("/?a=1&debug=0"), 0U);
  EXPECT_EQ(index("/?de%62ug=1"), 0U);  // names are decoded too
  EXPECT_EQ(index("/?debugger=1"), 1U);
  EXPECT_EQ(index("/?x=debug"), 1U);
  EXPECT_EQ(index("/debug"), 1U);
  EXPECT_EQ(index("/?Debug"), 1U);  // names are case-sensitive
}

TEST_F(RouteConditionsTest, QueryExactComparesTheDecodedValue) {
  config::Route route = prefix_route("/");
  route.match.query = {value_match("q", ValueMatchKind::kExact, "a b&c")};
  use({route});
  EXPECT_EQ(index("/?q=a%20b%26c"), 0U);
  EXPECT_EQ(index("/?q=a+b%26c"), 0U);
  EXPECT_EQ(index("/?q=a+b&c"), 1U);  // a raw '&' ends the value
  EXPECT_EQ(index("/?q=a%20b%26cd"), 1U);
  EXPECT_EQ(index("/?x=1&q=a%20b%26c&y"), 0U);
}

TEST_F(RouteConditionsTest, QueryRegexSeesTheDecodedValue) {
  config::Route route = prefix_route("/");
  route.match.query = {value_match("id", ValueMatchKind::kRegex, "[0-9]+")};
  use({route});
  EXPECT_EQ(index("/?id=123"), 0U);
  EXPECT_EQ(index("/?id=%31%32"), 0U);
  EXPECT_EQ(index("/?id=12a"), 1U);
  EXPECT_EQ(index("/?id="), 1U);
  EXPECT_EQ(index("/?id=x&id=7"), 0U);  // any of its occurrences
  // A long value decodes off the stack and still matches.
  EXPECT_EQ(index("/?id=" + std::string(3000, '7')), 0U);
  EXPECT_EQ(index("/?id=" + std::string(3000, '7') + "x"), 1U);
}

TEST_F(RouteConditionsTest, QueryInvert) {
  config::Route route = prefix_route("/");
  route.match.query = {value_match("nocache", ValueMatchKind::kPresent, "", true)};
  use({route});
  EXPECT_EQ(index("/?a=1"), 0U);
  EXPECT_EQ(index("/"), 0U);
  EXPECT_EQ(index("/?a=1&nocache"), 1U);
}

// ---- client networks ----------------------------------------------------------------------------

TEST_F(RouteConditionsTest, ClientNetworks) {
  config::Route route = prefix_route("/");
  for (const char* text : {"10.0.0.0/8", "2001:db8::/32"}) {
    net::Cidr cidr;
    std::string_view error;
    ASSERT_TRUE(net::Cidr::parse(text, cidr, error)) << error;
    route.match.networks.push_back(cidr);
  }
  use({route});
  EXPECT_EQ(from("10.1.2.3"), 0U);
  EXPECT_EQ(from("::ffff:10.1.2.3"), 0U);  // IPv4 on a dual-stack socket
  EXPECT_EQ(from("2001:db8::5"), 0U);
  EXPECT_EQ(from("11.0.0.1"), 1U);
  EXPECT_EQ(from("2001:db9::5"), 1U);
}

// ---- together -----------------------------------------------------------------------------------

TEST_F(RouteConditionsTest, EveryKindOfConditionMustHold) {
  config::Route route = exact_route("/admin");
  route.match.methods = {"POST"};
  route.match.headers = {value_match("x-token", ValueMatchKind::kPresent)};
  route.match.query = {value_match("confirm", ValueMatchKind::kExact, "yes")};
  net::Cidr local;
  std::string_view error;
  ASSERT_TRUE(net::Cidr::parse("127.0.0.0/8", local, error));
  route.match.networks = {local};
  use({route});
  http::HeaderMap headers;
  headers.add("x-token", "t");
  const auto loopback = asio::ip::make_address("127.0.0.1");
  RouteQuery query{.host = "h",
                   .target = "/admin?confirm=yes",
                   .method = "POST",
                   .headers = &headers,
                   .client = loopback};
  EXPECT_EQ(index(query), 0U);
  RouteQuery other = query;
  other.method = "GET";
  EXPECT_EQ(index(other), 1U);
  other = query;
  other.target = "/admin?confirm=no";
  EXPECT_EQ(index(other), 1U);
  other = query;
  other.target = "/admin/?confirm=yes";
  EXPECT_EQ(index(other), 1U);
  other = query;
  other.client = asio::ip::make_address("192.168.0.1");
  EXPECT_EQ(index(other), 1U);
  other = query;
  other.headers = nullptr;
  EXPECT_EQ(index(other), 1U);
}

TEST_F(RouteConditionsTest, ARouteWhoseConditionsFailLetsALaterCandidateWin) {
  config::Route gets = exact_route("/a/b");
  gets.match.methods = {"GET"};
  use({prefix_route("/a/b/c"), gets, prefix_route("/a"), exact_route("/a/b")});
  EXPECT_EQ(index("/a/b", "GET"), 1U);
  EXPECT_EQ(index("/a/b", "POST"), 2U);  // the prefix /a (2) comes before the exact /a/b (3)
  EXPECT_EQ(index("/a/b/c/d", "POST"), 0U);
}

}  // namespace
}  // namespace bulwark::router
