// The route index against the definition it stands for: trying the routes in order. Random
// route lists over a tiny alphabet share prefixes heavily (edges split, exact and prefix paths
// and regexes on one node); with more than 16 regexes in one group an RE2 set takes over from
// trying them in turn.

#include "router/route_table.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "route_builders.h"

namespace bulwark::router {
namespace {

using fixtures::exact_route;
using fixtures::prefix_route;
using fixtures::regex_route;

// Trying each route in order, the way the index must behave.
std::uint32_t first_in_order(const std::vector<config::Route>& routes, std::string_view target,
                             std::string_view method) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (std::uint32_t i = 0; i < routes.size(); ++i) {
    const config::RouteMatch& match = routes[i].match;
    bool path_ok = false;
    switch (match.path_kind) {
      case config::PathMatchKind::kPrefix:
        path_ok = path.starts_with(match.path);
        break;
      case config::PathMatchKind::kExact:
        path_ok = path == match.path;
        break;
      case config::PathMatchKind::kRegex:
        path_ok = RE2::FullMatch(path, RE2(match.path));
        break;
    }
    const bool method_ok =
        match.methods.empty() ||
        std::find(match.methods.begin(), match.methods.end(), method) != match.methods.end();
    if (path_ok && method_ok) return i;
  }
  return RouteTable::kNoRoute;
}

std::string random_path(std::mt19937& random, std::size_t max_length) {
  static constexpr std::string_view kAlphabet = "/ab";
  std::string path = "/";
  const std::size_t length = random() % (max_length + 1);
  for (std::size_t i = 0; i < length; ++i)
    path += kAlphabet[random() % kAlphabet.size()];
  return path;
}

// `count` exact and prefix routes and `regexes` regex routes in random order. Each regex is
// `regex_start`, a random path and a random tail; the class "[/ab]" after the start keeps them all
// in one group (filed under `regex_start`), enough of them to need a set.
std::vector<config::Route> random_routes(std::mt19937& random, std::size_t count,
                                         std::size_t regexes, std::string_view regex_start) {
  static constexpr std::array<std::string_view, 8> kRegexTails{
      ".*", "[ab]+", "a*", "b?/.*", "", "(a|/)b", "(?i)B/.*", "(/a|b)|a/"};
  std::vector<config::Route> routes;
  for (std::size_t i = 0; i < count; ++i) {
    config::Route route;
    if (i % 3 == 0) {
      route = prefix_route(random_path(random, 4));
    } else {
      route = exact_route(random_path(random, 5));
    }
    if (random() % 4 == 0) route.match.methods = {random() % 2 == 0 ? "GET" : "POST"};
    routes.push_back(std::move(route));
  }
  for (std::size_t i = 0; i < regexes; ++i) {
    std::string pattern = std::string(regex_start);
    if (!regex_start.empty()) pattern += "[/ab]";
    pattern += random_path(random, 3) + std::string(kRegexTails[random() % kRegexTails.size()]);
    config::Route route = regex_route(std::move(pattern));
    if (random() % 4 == 0) route.match.methods = {"GET"};
    routes.insert(routes.begin() + static_cast<std::ptrdiff_t>(random() % (routes.size() + 1)),
                  std::move(route));
  }
  return routes;
}

void expect_same_as_in_order(std::uint32_t seed, std::size_t count, std::size_t regexes,
                             std::string_view regex_start = {}) {
  std::mt19937 random(seed);
  const std::vector<config::Route> routes = random_routes(random, count, regexes, regex_start);
  const RouteTable table(routes);
  for (int i = 0; i < 300; ++i) {
    std::string target = random_path(random, 7);
    if (random() % 2 == 0) target.insert(0, regex_start);
    if (random() % 5 == 0) target += "?a=/b";
    const std::string_view method = random() % 2 == 0 ? "GET" : "POST";
    const RouteQuery query{.host = "h", .target = target, .method = method};
    ASSERT_EQ(table.find(query), first_in_order(routes, target, method))
        << "seed " << seed << ", target " << target << ", method " << method;
  }
}

TEST(RouteTableTest, SameAsTryingTheRoutesInOrder) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed)
    expect_same_as_in_order(seed, 30, 0);
}

TEST(RouteTableTest, SameAsTryingTheRoutesInOrderWithAFewRegexes) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed)
    expect_same_as_in_order(seed, 30, 5);
}

TEST(RouteTableTest, SameAsTryingTheRoutesInOrderWithManyRegexes) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed)
    expect_same_as_in_order(seed, 60, 40);
}

TEST(RouteTableTest, SameAsTryingTheRoutesInOrderWithARegexSet) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed)
    expect_same_as_in_order(seed, 60, 40, "/s");
}

TEST(RouteTableTest, RegexGroupsAllAlongALongPath) {
  // Twelve groups on the way down "/0/1/2/...": more than the walk holds back, so some run
  // at once; the lowest-numbered match still wins.
  std::vector<config::Route> routes;
  std::string start;
  for (int depth = 0; depth < 12; ++depth) {
    start += "/" + std::to_string(depth);
    routes.push_back(regex_route(start + "/[0-9]+/?.*"));
  }
  std::reverse(routes.begin(), routes.end());  // deepest first: the walk meets them last
  routes.push_back(prefix_route("/"));
  const RouteTable table(routes);
  EXPECT_EQ(table.find({.target = "/0/1/2/3/4/5/6/7/8/9/10/11/12"}), 0U);
  EXPECT_EQ(table.find({.target = "/0/1/2/3/4/5/6/7/8/9/10/x"}), 2U);
  EXPECT_EQ(table.find({.target = "/0/1/x"}), 11U);  // "/0/[0-9]+/?.*"
  EXPECT_EQ(table.find({.target = "/0/x"}), 12U);
}

TEST(RouteTableTest, EmptyTableFindsNothing) {
  const std::vector<config::Route> routes;
  const RouteTable table(routes);
  EXPECT_EQ(table.find({.target = "/"}), RouteTable::kNoRoute);
}

TEST(RouteTableTest, EmptyPrefixAndPathsLongerThanAnyRoute) {
  const std::vector<config::Route> routes{exact_route("/a"), prefix_route("")};
  const RouteTable table(routes);
  EXPECT_EQ(table.find({.target = "/a"}), 0U);
  EXPECT_EQ(table.find({.target = ""}), 1U);
  EXPECT_EQ(table.find({.target = "/a/" + std::string(10000, 'x')}), 1U);
}

TEST(RouteTableTest, InvalidRegexNeverMatchesAndDoesNotDisturbTheOthers) {
  // The loader refuses such a pattern; a config built in code may still carry one.
  std::vector<config::Route> routes{regex_route("(")};
  for (int i = 0; i < 20; ++i)
    routes.push_back(regex_route("/r" + std::to_string(i)));
  const RouteTable table(routes);
  EXPECT_EQ(table.find({.target = "("}), RouteTable::kNoRoute);
  EXPECT_EQ(table.find({.target = "/r7"}), 8U);
}

}  // namespace
}  // namespace bulwark::router
