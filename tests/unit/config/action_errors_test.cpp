// Route actions on bad input: proxy rewrites and timeouts, redirects.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> errors_of(std::string_view routes) {
  const LoadResult result = load_routes(routes);
  EXPECT_EQ(result.config, nullptr);
  return formatted(result);
}

ConfigPtr load_ok(std::string_view routes) {
  LoadResult result = load_routes(routes);
  for (const std::string& error : formatted(result))
    ADD_FAILURE() << error;
  return result.config;
}

TEST(ActionConfigTest, ProxyRewritesAndTimeoutsAreRead) {
  const ConfigPtr config = load_ok(R"yaml(          - name: api
            match: { prefix: /api/ }
            proxy:
              cluster: demo
              prefix_rewrite: /
              host_rewrite: api.internal:8080
              timeouts: { connect: 2s, read: 500ms }
          - match: { prefix: /r/ }
            proxy: { cluster: demo, regex_rewrite: { pattern: "^/r/(.*)$", substitution: "/\\1" } }
)yaml");
  ASSERT_NE(config, nullptr);
  const auto& routes = config->listeners.at(0).virtual_hosts.at(0).routes;
  EXPECT_EQ(routes[0].name, "api");
  const auto& proxy = std::get<ProxyAction>(routes[0].action);
  EXPECT_EQ(proxy.prefix_rewrite, "/");
  EXPECT_EQ(proxy.host_rewrite, "api.internal:8080");
  EXPECT_EQ(proxy.timeouts.connect, Duration{2000});
  EXPECT_EQ(proxy.timeouts.read, Duration{500});
  EXPECT_FALSE(proxy.timeouts.write);
  const auto& regex = std::get<ProxyAction>(routes[1].action);
  ASSERT_TRUE(regex.regex_rewrite);
  EXPECT_EQ(regex.regex_rewrite->pattern, "^/r/(.*)$");
  EXPECT_EQ(regex.regex_rewrite->substitution, "/\\1");
}

TEST(ActionConfigTest, RedirectIsRead) {
  const ConfigPtr config = load_ok(R"yaml(          - match: { prefix: /old/ }
            redirect: { status: 308, scheme: https, host: WWW.Example.com, port: 8443, prefix_rewrite: /new/, strip_query: true }
          - redirect: { path: /elsewhere }
)yaml");
  ASSERT_NE(config, nullptr);
  const auto& routes = config->listeners.at(0).virtual_hosts.at(0).routes;
  const auto& redirect = std::get<RedirectAction>(routes[0].action);
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.scheme, "https");
  EXPECT_EQ(redirect.host, "www.example.com");
  EXPECT_EQ(redirect.port, 8443);
  EXPECT_EQ(redirect.prefix_rewrite, "/new/");
  EXPECT_TRUE(redirect.strip_query);
  EXPECT_EQ(std::get<RedirectAction>(routes[1].action).status, 301);
  EXPECT_EQ(std::get<RedirectAction>(routes[1].action).path, "/elsewhere");
}

TEST(ActionConfigTest, ProxyMistakes) {
  EXPECT_THAT(
      errors_of(R"yaml(          - match: { exact: /x }
            proxy: { cluster: demo, prefix_rewrite: / }
          - match: { prefix: /a/ }
            proxy: { cluster: demo, prefix_rewrite: b/ }
          - match: { prefix: /b/ }
            proxy: { cluster: demo, prefix_rewrite: /, regex_rewrite: { pattern: a, substitution: b } }
          - match: { prefix: /c/ }
            proxy: { cluster: demo, regex_rewrite: { pattern: "(a", substitution: b } }
          - match: { prefix: /d/ }
            proxy: { cluster: demo, regex_rewrite: { pattern: "(a)", substitution: "\\2" } }
          - match: { prefix: /e/ }
            proxy: { cluster: demo, host_rewrite: "http://x/", timeouts: { read: 0s, send: 1s } }
)yaml"),
      ElementsAre(
          "t.yaml:8:53: prefix_rewrite: needs a route that matches a prefix; this one matches an "
          "exact path\n  hint: use match: { prefix: ... }, or regex_rewrite for a regex route",
          "t.yaml:10:53: prefix_rewrite: 'b/' must start with '/'",
          "t.yaml:12:71: regex_rewrite: give prefix_rewrite or regex_rewrite, not both",
          "t.yaml:14:63: pattern: '(a' is not a valid regular expression: missing ): (a\n"
          "  hint: the syntax is RE2's (no backreferences or lookaround)",
          "t.yaml:16:84: substitution: Rewrite schema requests 2 matches, but the regexp only has "
          "1 parenthesized subexpressions.",
          "t.yaml:18:51: host_rewrite: 'http://x/' is not a host\n  hint: write a host name, "
          "optionally with a port: api.internal or api:8080",
          "t.yaml:18:82: read: 0s is out of range (from 1ms to 24h)",
          "t.yaml:18:86: unknown key 'send' in timeouts\n  hint: did you mean 'read'?"));
}

TEST(ActionConfigTest, RedirectMistakes) {
  EXPECT_THAT(
      errors_of(R"yaml(          - match: { prefix: /a/ }
            redirect: { status: 304, scheme: ftp, host: "a.com/x", port: 0 }
          - match: { prefix: /b/ }
            redirect: { path: relative, strip_query: yes }
          - match: { exact: /c }
            redirect: { prefix_rewrite: /d }
          - match: { prefix: /e/ }
            redirect: { path: /x, prefix_rewrite: /y }
)yaml"),
      ElementsAre("t.yaml:8:33: status: 304 is not a redirect status\n  hint: use 301, 302, "
                  "303, 307 or 308",
                  "t.yaml:8:46: scheme: unknown value 'ftp'\n  hint: the choices are: http, https",
                  "t.yaml:8:57: host: 'a.com/x' is not a host name\n  hint: no scheme, port "
                  "or path here: use scheme:, port: and path:",
                  "t.yaml:8:74: port: 0 is out of range (from 1 to 65535)",
                  "t.yaml:10:31: path: 'relative' is not an absolute path\n  hint: start with "
                  "'/'; no spaces, control characters or fragment",
                  "t.yaml:10:54: strip_query: expected true or false, got 'yes'\n  hint: write "
                  "true or false; YAML 1.2 readers take yes/no/on/off as strings",
                  "t.yaml:12:41: prefix_rewrite: needs a route that matches a prefix; this one "
                  "matches an exact path\n  hint: use match: { prefix: ... }, or regex_rewrite "
                  "for a regex route",
                  "t.yaml:14:51: prefix_rewrite: give path or prefix_rewrite, not both"));
}

}  // namespace
}  // namespace bulwark::config
