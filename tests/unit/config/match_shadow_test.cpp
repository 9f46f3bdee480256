// The shadowed-route check with conditions: reported only when the earlier route certainly takes
// every request the later one would (tests/unit/config/match_test.cpp has the look-alikes that
// are not reported; loader_errors_test.cpp the cases without conditions).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> errors_in_routes(std::string_view routes) {
  const LoadResult result = load_routes(routes);
  EXPECT_EQ(result.config, nullptr);
  return formatted(result);
}

TEST(MatchShadowTest, EarlierRouteWithoutConditionsTakesAllOfALaterOneWithConditions) {
  EXPECT_THAT(errors_in_routes(R"yaml(          - match: { prefix: /api }
            proxy: { cluster: demo }
          - match: { exact: /api/v1, methods: [GET] }
            proxy: { cluster: demo }
          - match: { prefix: /apix, headers: [ { name: x-a, present: true } ] }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:9:13: this route (exact /api/v1, methods GET) can never match: "
                          "the route at line 7 (prefix /api) comes before it and matches all its "
                          "requests\n  hint: put more specific routes first",
                          "t.yaml:11:13: this route (prefix /apix, headers) can never match: the "
                          "route at line 7 (prefix /api) comes before it and matches all its "
                          "requests\n  hint: put more specific routes first"));
}

TEST(MatchShadowTest, CatchAllShadowsRegexRoutes) {
  EXPECT_THAT(errors_in_routes(R"yaml(          - proxy: { cluster: demo }
          - match: { regex: "/r.*", networks: [10.0.0.0/8] }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:8:13: this route (regex /r.*, networks) can never match: the "
                          "catch-all route at line 7 (prefix /) comes before it\n"
                          "  hint: move the catch-all route to the end of routes"));
}

TEST(MatchShadowTest, EarlierConditionsThatTheLaterRouteRepeatsOrNarrows) {
  EXPECT_THAT(
      errors_in_routes(R"yaml(          - match: { prefix: /a, methods: [GET, POST] }
            proxy: { cluster: demo }
          - match: { prefix: /a/b, methods: [POST] }
            proxy: { cluster: demo }
          - match: { prefix: /h, headers: [ { name: x-a, present: true } ] }
            proxy: { cluster: demo }
          - match:
              prefix: /h/
              headers: [ { name: X-A, present: true }, { name: x-b, exact: "1" } ]
            proxy: { cluster: demo }
          - match: { exact: /n, networks: [10.0.0.0/8], query: [ { name: q, regex: "[0-9]+" } ] }
            proxy: { cluster: demo }
          - match: { exact: /n, networks: [10.0.0.0/8], query: [ { name: q, regex: "[0-9]+" } ] }
            proxy: { cluster: demo }
          - match: { prefix: /, methods: [GET] }
            proxy: { cluster: demo }
          - match: { regex: "/z", methods: [GET] }
            proxy: { cluster: demo }
)yaml"),
      ElementsAre("t.yaml:9:13: this route (prefix /a/b, methods POST) can never match: the route "
                  "at line 7 (prefix /a, methods GET POST) comes before it and matches all its "
                  "requests\n  hint: put more specific routes first",
                  "t.yaml:13:13: this route (prefix /h/, headers) can never match: the route at "
                  "line 11 (prefix /h, headers) comes before it and matches all its requests\n"
                  "  hint: put more specific routes first",
                  "t.yaml:19:13: this route (exact /n, query, networks) can never match: the "
                  "route at line 17 (exact /n, query, networks) comes before it and matches all "
                  "its requests\n  hint: put more specific routes first",
                  "t.yaml:23:13: this route (regex /z, methods GET) can never match: the route "
                  "at line 21 (prefix /, methods GET) comes before it and matches all its "
                  "requests\n  hint: put more specific routes first"));
}

}  // namespace
}  // namespace bulwark::config
