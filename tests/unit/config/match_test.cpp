// match: read from YAML: every key, and what a route with each looks like after loading.

#include <gtest/gtest.h>

#include "config/loader.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

// The routes of the virtual host, after checking that they load without errors.
std::vector<Route> routes_of(std::string_view routes) {
  const LoadResult result = load_routes(routes);
  EXPECT_TRUE(result.errors.empty()) << ::testing::PrintToString(formatted(result));
  if (result.config == nullptr) return {};
  return result.config->listeners.at(0).virtual_hosts.at(0).routes;
}

TEST(MatchTest, PathKinds) {
  const std::vector<Route> routes = routes_of(R"(          - match: { exact: /healthz }
            proxy: { cluster: demo }
          - match: { regex: "/users/[0-9]+" }
            proxy: { cluster: demo }
          - match: { prefix: /api/ }
            proxy: { cluster: demo }
          - match: {}
            proxy: { cluster: demo }
)");
  ASSERT_EQ(routes.size(), 4U);
  EXPECT_EQ(routes[0].match.path_kind, PathMatchKind::kExact);
  EXPECT_EQ(routes[0].match.path, "/healthz");
  EXPECT_EQ(routes[1].match.path_kind, PathMatchKind::kRegex);
  EXPECT_EQ(routes[1].match.path, "/users/[0-9]+");
  EXPECT_EQ(routes[2].match.path_kind, PathMatchKind::kPrefix);
  EXPECT_EQ(routes[2].match.path, "/api/");
  EXPECT_EQ(routes[3].match.path_kind, PathMatchKind::kPrefix);
  EXPECT_EQ(routes[3].match.path, "/");
}

TEST(MatchTest, EveryCondition) {
  const std::vector<Route> routes = routes_of(R"(          - match:
              prefix: /api/
              methods: [GET, POST]
              headers:
                - { name: X-Debug, present: true }
                - { name: x-version, exact: "2" }
                - { name: user-agent, regex: ".*bot.*", invert: true }
                - { name: cookie, present: false }
              query:
                - { name: debug, present: true }
                - { name: v, exact: "2" }
                - { name: id, regex: "[0-9]+", invert: true }
              networks: [10.0.0.0/8, "::1"]
            proxy: { cluster: demo }
          - proxy: { cluster: demo }
)");
  ASSERT_EQ(routes.size(), 2U);
  const RouteMatch& match = routes[0].match;
  EXPECT_EQ(match.methods, (std::vector<std::string>{"GET", "POST"}));
  ASSERT_EQ(match.headers.size(), 4U);
  EXPECT_EQ(match.headers[0].name, "x-debug");  // header names in lower case
  EXPECT_EQ(match.headers[0].kind, ValueMatchKind::kPresent);
  EXPECT_FALSE(match.headers[0].invert);
  EXPECT_EQ(match.headers[1].kind, ValueMatchKind::kExact);
  EXPECT_EQ(match.headers[1].value, "2");
  EXPECT_EQ(match.headers[2].kind, ValueMatchKind::kRegex);
  EXPECT_EQ(match.headers[2].value, ".*bot.*");
  EXPECT_TRUE(match.headers[2].invert);
  EXPECT_EQ(match.headers[3].kind, ValueMatchKind::kPresent);  // present: false is absent
  EXPECT_TRUE(match.headers[3].invert);
  ASSERT_EQ(match.query.size(), 3U);
  EXPECT_EQ(match.query[0].name, "debug");
  EXPECT_EQ(match.query[0].kind, ValueMatchKind::kPresent);
  EXPECT_EQ(match.query[1].kind, ValueMatchKind::kExact);
  EXPECT_EQ(match.query[1].value, "2");
  EXPECT_EQ(match.query[2].kind, ValueMatchKind::kRegex);
  EXPECT_TRUE(match.query[2].invert);
  ASSERT_EQ(match.networks.size(), 2U);
  EXPECT_EQ(match.networks[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(match.networks[1].to_string(), "::1/128");
}

TEST(MatchTest, QueryNamesKeepTheirCase) {
  const std::vector<Route> routes =
      routes_of(R"(          - match: { query: [ { name: Page, exact: "1" } ] }
            proxy: { cluster: demo }
)");
  ASSERT_EQ(routes.size(), 1U);
  EXPECT_EQ(routes[0].match.query.at(0).name, "Page");
}

// Routes that look alike but are not shadowed: each can still match something.
TEST(MatchTest, RoutesWithConditionsAreNotShadowedByNarrowerOnes) {
  const std::vector<Route> routes = routes_of(R"(          - match: { prefix: /api, methods: [GET] }
            proxy: { cluster: demo }
          - match: { prefix: /api/v1 }
            proxy: { cluster: demo }
          - match: { prefix: /b, headers: [ { name: x-a, present: true } ] }
            proxy: { cluster: demo }
          - match: { prefix: /b, headers: [ { name: x-a, present: true, invert: true } ] }
            proxy: { cluster: demo }
          - match: { prefix: /c, networks: [10.0.0.0/8] }
            proxy: { cluster: demo }
          - match: { prefix: /c, networks: [11.0.0.0/8] }
            proxy: { cluster: demo }
          - match: { prefix: /d, methods: [GET] }
            proxy: { cluster: demo }
          - match: { prefix: /d, methods: [GET, POST] }
            proxy: { cluster: demo }
          - match: { regex: "/.*" }
            proxy: { cluster: demo }
          - match: { prefix: /e }
            proxy: { cluster: demo }
          - match: { regex: "/f.*" }
            proxy: { cluster: demo }
          - match: { regex: "/f.*" }
            proxy: { cluster: demo }
          - match: { query: [ { name: q, present: true } ] }
            proxy: { cluster: demo }
          - match: { prefix: /g }
            proxy: { cluster: demo }
)");
  EXPECT_EQ(routes.size(), 14U);
}

}  // namespace
}  // namespace bulwark::config
