// match: on bad input: every class of mistake, at its exact line and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

// `routes` (YAML, indented for the list) in a file where it starts on line 7; the diagnostics
// as `bulwark validate` prints them.
std::vector<std::string> errors_in_routes(std::string_view routes) {
  const LoadResult result = load_routes(routes);
  EXPECT_EQ(result.config, nullptr);
  return formatted(result);
}

TEST(MatchErrorsTest, MoreThanOnePathKind) {
  EXPECT_THAT(errors_in_routes(R"yaml(          - match: { prefix: /a, regex: "/b" }
            proxy: { cluster: demo }
          - match: { exact: /a, regex: "/b", prefix: /c }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:7:41: match: give prefix or regex, not both",
                          "t.yaml:9:40: match: give exact or regex, not both",
                          "t.yaml:9:54: match: give exact or prefix, not both"));
}

TEST(MatchErrorsTest, RegexThatRE2Rejects) {
  // Every regex error ends in RE2's reason and this hint (schema_common.cpp).
  const std::string hint = "\n  hint: the syntax is RE2's (no backreferences or lookaround)";
  EXPECT_THAT(errors_in_routes(R"yaml(          - match: { regex: "/users/(" }
            proxy: { cluster: demo }
          - match: { regex: "/(?=x)" }
            proxy: { cluster: demo }
          - match: { headers: [ { name: x-a, regex: "a{2,1}" } ] }
            proxy: { cluster: demo }
          - match: { query: [ { name: id, regex: '(\d)\1' } ] }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:7:29: regex: '/users/(' is not a valid regular expression: "
                          "missing ): /users/(" +
                              hint,
                          "t.yaml:9:29: regex: '/(?=x)' is not a valid regular expression: "
                          "invalid perl operator: (?=" +
                              hint,
                          "t.yaml:11:53: regex: 'a{2,1}' is not a valid regular expression: "
                          "invalid repetition size: {2,1}" +
                              hint,
                          "t.yaml:13:50: regex: '(\\d)\\1' is not a valid regular expression: "
                          "invalid escape sequence: \\1" +
                              hint));
}

TEST(MatchErrorsTest, UnknownMethod) {
  EXPECT_THAT(errors_in_routes(R"yaml(          - match: { methods: [GET, get, FETCH, POST, GET] }
            proxy: { cluster: demo }
          - match: { methods: [] }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:7:37: methods[1]: unknown method 'get'\n"
                          "  hint: did you mean 'GET'?",
                          "t.yaml:7:42: methods[2]: unknown method 'FETCH'\n"
                          "  hint: did you mean 'PATCH'?",
                          "t.yaml:7:55: methods[4]: GET is listed twice",
                          "t.yaml:9:31: methods: list at least one method, or leave methods out"));
}

TEST(MatchErrorsTest, BadNetwork) {
  EXPECT_THAT(errors_in_routes(
                  R"yaml(          - match: { networks: [10.0.0.0/33, 10.0.0.0/8, example.com] }
            proxy: { cluster: demo }
          - match: { networks: [] }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:7:33: networks[0]: bad network '10.0.0.0/33': the prefix length "
                          "is out of range\n"
                          "  hint: write an address or ADDRESS/PREFIX, e.g. 10.0.0.0/8 or ::1",
                          "t.yaml:7:58: networks[2]: bad network 'example.com': not an IP "
                          "address\n"
                          "  hint: write an address or ADDRESS/PREFIX, e.g. 10.0.0.0/8 or ::1",
                          "t.yaml:9:32: networks: list at least one network, or leave networks "
                          "out"));
}

TEST(MatchErrorsTest, HeaderAndQueryShapes) {
  EXPECT_THAT(errors_in_routes(R"yaml(          - match:
              headers:
                - { name: "bad name", present: true }
                - { name: x-a }
                - { name: x-b, exact: "1", regex: "1" }
                - { present: true }
                - { name: x-c, present: false, invert: true }
                - { name: x-d, present: yes }
                - { name: x-e, exacts: "1" }
              query:
                - { name: "", present: true }
            proxy: { cluster: demo }
)yaml"),
              ElementsAre("t.yaml:9:27: name: 'bad name' is not a header field name",
                          "t.yaml:10:19: headers[1]: give exact, regex or present\n"
                          "  hint: e.g. { name: x-a, present: true }",
                          "t.yaml:11:51: headers[2]: give exact or regex, not both",
                          "t.yaml:12:19: headers[3]: missing required key 'name'",
                          "t.yaml:13:56: invert: present: false already means absent\n"
                          "  hint: write present: false alone, or present: true with invert: true",
                          "t.yaml:14:41: present: expected true or false, got 'yes'\n"
                          "  hint: write true or false; YAML 1.2 readers take yes/no/on/off as "
                          "strings",
                          "t.yaml:15:32: unknown key 'exacts' in headers[6]\n"
                          "  hint: did you mean 'exact'?",
                          "t.yaml:17:27: name: a query parameter name cannot be empty"));
}

}  // namespace
}  // namespace bulwark::config
