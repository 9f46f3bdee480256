// The loader on filters:, obfuscation: and error_pages:, good and bad input (exact positions and
// messages for every class of mistake).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "load_results.h"

namespace bulwark::config {
namespace {

using test_support::errors_of;

using ::testing::ElementsAre;

std::string describe(const LoadResult& result) {
  std::string text;
  for (const Diagnostic& d : result.errors)
    text += d.format() + "\n";
  return text;
}

ConfigPtr load_ok(const std::string& yaml) {
  LoadResult result = load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(result.errors.empty()) << describe(result);
  return result.config;
}

// A listener whose virtual host runs `filters` (one flow-style line, line 6), after `head`.
std::string with_host_filters(std::string_view head, std::string_view filters) {
  return std::string(head) + R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters: )" +
         std::string(filters) + R"(
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081, "[::1]:8082"]
)";
}

// The rest of a valid file after the lines under test, so that their numbers stay put.
std::string with_tail(std::string_view head) {
  return with_host_filters(head, "[]");
}

std::string rule_text(const HeaderRule& rule) {
  constexpr std::string_view kOps[] = {"add", "set", "remove", "rename"};
  return std::string(kOps[static_cast<int>(rule.op)]) + " " + rule.name +
         (rule.value.empty() ? "" : " " + rule.value);
}

std::vector<std::string> rules_text(const std::vector<HeaderRule>& rules) {
  std::vector<std::string> out;
  out.reserve(rules.size());
  for (const HeaderRule& rule : rules)
    out.push_back(rule_text(rule));
  return out;
}

// ---- good input -------------------------------------------------------------------------------

TEST(LoaderFiltersTest, InlineHeadersRulesInTheirOrderOfApplication) {
  const ConfigPtr config = load_ok(with_host_filters(
      "",
      R"([ { headers: { request: { add: { X-Tag: "{route}" }, set: { x-real-ip: "{client_address}" }, rename: { X-Old: X-New }, remove: [X-Debug] }, response: { set: { x-frame-options: DENY } } } } ])"));
  ASSERT_NE(config, nullptr);
  const std::vector<FilterSpec>& filters = config->listeners[0].virtual_hosts[0].filters;
  ASSERT_EQ(filters.size(), 1U);
  EXPECT_EQ(filters[0].type, "headers");
  EXPECT_EQ(filters[0].name, "");
  EXPECT_EQ(filters[0].mark.line, 6);
  const auto& rules = std::get<HeaderRules>(filters[0].settings);
  // remove, rename, set, add whatever the order written; names in lower case.
  EXPECT_THAT(rules_text(rules.request),
              ElementsAre("remove x-debug", "rename x-old x-new", "set x-real-ip {client_address}",
                          "add x-tag {route}"));
  EXPECT_THAT(rules_text(rules.response), ElementsAre("set x-frame-options DENY"));
}

TEST(LoaderFiltersTest, NamedFiltersAreCopiedWhereTheyAreListed) {
  const ConfigPtr config = load_ok(with_host_filters(R"(filters:
  - name: security
    headers: { response: { set: { x-content-type-options: nosniff } } }
  - name: tagged
    headers: { request: { add: { x-via-bulwark: "1" } } }
)",
                                                     "[ tagged, security ]"));
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(config->filters.size(), 2U);
  const std::vector<FilterSpec>& filters = config->listeners[0].virtual_hosts[0].filters;
  ASSERT_EQ(filters.size(), 2U);
  EXPECT_EQ(filters[0].name, "tagged");
  EXPECT_EQ(filters[1].name, "security");
  EXPECT_THAT(rules_text(std::get<HeaderRules>(filters[1].settings).response),
              ElementsAre("set x-content-type-options nosniff"));
}

TEST(LoaderFiltersTest, RouteFiltersReplaceTheHosts) {
  const ConfigPtr config = load_ok(R"(filters:
  - name: a
    headers: {}
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters: [a]
        routes:
          - match: { prefix: /none/ }
            filters: []
            proxy: { cluster: demo }
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)");
  ASSERT_NE(config, nullptr);
  const VirtualHost& host = config->listeners[0].virtual_hosts[0];
  // Present and empty: the route runs none of the host's filters.
  EXPECT_EQ(host.routes[0].filters.transform([](const auto& own) { return own.size(); }), 0U);
  EXPECT_FALSE(host.routes[1].filters.has_value());
}

TEST(LoaderFiltersTest, ObfuscationDefaultsAndEveryKey) {
  const ConfigPtr defaults = load_ok(with_tail(""));
  ASSERT_NE(defaults, nullptr);
  const Obfuscation fresh;
  EXPECT_EQ(defaults->obfuscation.strip_headers, fresh.strip_headers);
  EXPECT_EQ(defaults->obfuscation.server, "bulwark");
  EXPECT_TRUE(defaults->obfuscation.rewrite_redirects);
  EXPECT_TRUE(defaults->obfuscation.rewrite_cookies);

  const ConfigPtr config = load_ok(with_tail(R"(obfuscation:
  strip_headers: [Server, X-Powered-By]
  also_strip_headers: [X-Debug-Token, server]
  server: ""
  rewrite_redirects: false
  rewrite_cookies: false
)"));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(config->obfuscation.strip_headers,
              ElementsAre("server", "x-powered-by", "x-debug-token"));
  EXPECT_EQ(config->obfuscation.server, "");
  EXPECT_FALSE(config->obfuscation.rewrite_redirects);
  EXPECT_FALSE(config->obfuscation.rewrite_cookies);

  const ConfigPtr added = load_ok(with_tail("obfuscation: { also_strip_headers: [x-debug] }\n"));
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->obfuscation.strip_headers.size(), fresh.strip_headers.size() + 1);
  EXPECT_EQ(added->obfuscation.strip_headers.back(), "x-debug");
}

class ErrorPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bulwark-error-pages-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ErrorPagesTest, PagesAreReadAtLoadWithTheirTypes) {
  const std::string html = write("404.html", "<h1>not here</h1>");
  const std::string json = write("503.JSON", R"({"down":true})");
  const std::string text = write("page.dat", "teapot");
  const ConfigPtr config = load_ok(with_tail(
      "error_pages:\n  404: " + html + "\n  503: { file: " + json +
      ", intercept_upstream: true }\n  418: { file: " + text + ", content_type: text/x-tea }\n"));
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(config->error_pages.size(), 3U);
  const ErrorPage& not_found = config->error_pages[0];
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.file, html);
  EXPECT_EQ(not_found.body, "<h1>not here</h1>");
  EXPECT_EQ(not_found.content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(not_found.intercept_upstream);
  EXPECT_EQ(not_found.mark.line, 2);
  EXPECT_EQ(config->error_pages[1].content_type, "application/json");
  EXPECT_TRUE(config->error_pages[1].intercept_upstream);
  EXPECT_EQ(config->error_pages[2].content_type, "text/x-tea");
  EXPECT_EQ(config->error_pages[2].body, "teapot");
}

TEST_F(ErrorPagesTest, RelativeFilesAreFoundBesideTheConfiguration) {
  write("oops.txt", "oops");
  const std::string yaml = with_tail("error_pages: { 500: oops.txt }\n");
  const std::string config_path = write("bulwark.yaml", yaml);
  const LoadResult result = load_config_file(config_path);
  ASSERT_NE(result.config, nullptr) << describe(result);
  EXPECT_EQ(result.config->error_pages.at(0).body, "oops");
  EXPECT_EQ(result.config->error_pages.at(0).content_type, "text/plain; charset=utf-8");
}

TEST_F(ErrorPagesTest, FileProblems) {
  const std::string missing = (dir_ / "missing.html").string();
  const std::string empty = write("empty.html", "");
  write("unknown.dat", "x");
  const std::string unknown = (dir_ / "unknown.dat").string();
  const std::string directory = (dir_ / "d.html").string();
  std::filesystem::create_directories(directory);
  const std::string big = write("big.html", std::string(1024 * 1024 + 1, 'x'));
  EXPECT_THAT(
      errors_of(with_tail("error_pages:\n  404: " + missing + "\n  500: " + empty + "\n  501: " +
                          unknown + "\n  502: " + directory + "\n  503: " + big + "\n")),
      ElementsAre("t.yaml:2:8: 404: cannot read '" + missing + "': No such file or directory",
                  "t.yaml:3:8: 500: '" + empty +
                      "' is empty\n  hint: an error page needs a body; without one bulwark "
                      "sends its own page",
                  "t.yaml:4:8: 501: cannot tell the content type of '" + unknown +
                      "' from its name\n  hint: name it .html, .htm, .xhtml, .json, .txt, .xml "
                      "or give content_type",
                  "t.yaml:5:8: 502: cannot read '" + directory + "': it is a directory",
                  "t.yaml:6:8: 503: '" + big + "' is larger than 1MiB"));
}

TEST_F(ErrorPagesTest, UnreadableFileNamesTheReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  const std::string secret = write("secret.html", "x");
  std::filesystem::permissions(secret, std::filesystem::perms::none);
  EXPECT_THAT(errors_of(with_tail("error_pages: { 403: " + secret + " }\n")),
              ElementsAre("t.yaml:1:21: 403: cannot read '" + secret + "': Permission denied"));
}

// ---- bad input --------------------------------------------------------------------------------

TEST(LoaderFiltersErrorsTest, StatusKeys) {
  EXPECT_THAT(
      errors_of(with_tail("error_pages:\n  200: a.html\n  0404: a.html\n  abc: a.html\n")),
      ElementsAre("t.yaml:2:3: error_pages: '200' is not an error status\n  hint: the keys are "
                  "statuses from 400 to 599, e.g. 404: errors/404.html",
                  "t.yaml:3:3: error_pages: '0404' is not an error status\n  hint: the keys are "
                  "statuses from 400 to 599, e.g. 404: errors/404.html",
                  "t.yaml:4:3: error_pages: 'abc' is not an error status\n  hint: the keys are "
                  "statuses from 400 to 599, e.g. 404: errors/404.html"));
}

TEST(LoaderFiltersErrorsTest, ErrorPageShapes) {
  EXPECT_THAT(errors_of(with_tail("error_pages:\n  404: { filee: a.html }\n  500: [a]\n  502: { "
                                  "file: a.html, intercept_upstream: yes, content_type: \"\" }\n")),
              ElementsAre("t.yaml:2:8: 404: missing required key 'file'",
                          "t.yaml:2:10: unknown key 'filee' in 404\n  hint: did you mean 'file'?",
                          "t.yaml:3:8: 500: expected a string, got a list",
                          "t.yaml:4:16: 502: cannot read 'a.html': No such file or directory",
                          "t.yaml:4:44: intercept_upstream: expected true or false, got 'yes'\n"
                          "  hint: write true or false; YAML 1.2 readers take yes/no/on/off as "
                          "strings",
                          "t.yaml:4:63: content_type: expected a media type such as text/html; "
                          "charset=utf-8"));
}

TEST(LoaderFiltersErrorsTest, ObfuscationValues) {
  EXPECT_THAT(errors_of(with_tail("obfuscation:\n  strip_headers: [\"bad name\", Content-Length, "
                                  "te]\n  server: \"a\\r\\nb\"\n  rewrite_cookie: true\n")),
              ElementsAre("t.yaml:2:19: strip_headers[0]: 'bad name' is not a header field name",
                          "t.yaml:2:31: strip_headers[1]: content-length is managed by bulwark "
                          "and is never passed on as the backend sent it",
                          "t.yaml:2:47: strip_headers[2]: te is managed by bulwark and is never "
                          "passed on as the backend sent it",
                          "t.yaml:3:11: server: a header value cannot contain CR, LF or NUL",
                          "t.yaml:4:3: unknown key 'rewrite_cookie' in obfuscation\n  hint: did "
                          "you mean 'rewrite_cookies'?"));
}

TEST(LoaderFiltersErrorsTest, UnknownVariableWithSuggestion) {
  EXPECT_THAT(
      errors_of(with_host_filters(
          "", R"([ { headers: { request: { set: { x-real-ip: "{client_adress}" } } } } ])")),
      ElementsAre("t.yaml:6:64: x-real-ip: unknown variable 'client_adress'\n"
                  "  hint: did you mean 'client_address'?"));
}

TEST(LoaderFiltersErrorsTest, UnknownVariableWithoutSuggestionListsThem) {
  EXPECT_THAT(errors_of(with_host_filters(
                  "", R"([ { headers: { response: { add: { x-json: {"a":1} } } } } ])")),
              ElementsAre("t.yaml:6:60: x-json: expected a string, got a map"));
  EXPECT_THAT(
      errors_of(with_host_filters(
          "", R"([ { headers: { response: { add: { x-json: '{"a":1}' } } } } ])")),
      ElementsAre("t.yaml:6:62: x-json: unknown variable '\"a\":1'\n  hint: the variables are: "
                  "client_address, client_port, host, path, query, method, scheme, request_id, "
                  "route, listener, tls_version, tls_cipher, tls_server_name, "
                  "client_cert_subject, client_cert_fingerprint, upstream_address; write {{ and "
                  "}} for literal braces"));
}

TEST(LoaderFiltersErrorsTest, BraceMistakesPointAtTheBrace) {
  EXPECT_THAT(
      errors_of(with_host_filters(
          "", R"([ { headers: { request: { set: { a: "x{", b: "}", c: "ab{}", d: "\n" } } } } ])")),
      ElementsAre("t.yaml:6:56: a: '{' is not closed; write {{ for a literal brace",
                  "t.yaml:6:64: b: '}' without a '{' before it; write }} for a literal brace",
                  "t.yaml:6:74: c: '{}' names no variable",
                  "t.yaml:6:82: d: a header value cannot contain CR, LF or NUL"));
}

TEST(LoaderFiltersErrorsTest, FieldsBulwarkManagesAndBadNames) {
  EXPECT_THAT(
      errors_of(with_host_filters("",
                                  "[ { headers: { request: { set: { Transfer-Encoding: x, host: "
                                  "yy, \"a b\": z }, remove: [connection] }, response: { "
                                  "rename: { x-a: Content-Length }, set: { host: h } } } } ]")),
      // The Host is only refused on requests: a response may carry one.
      ElementsAre("t.yaml:6:51: set: transfer-encoding is managed by bulwark; header rules cannot "
                  "change it",
                  "t.yaml:6:73: set: header rules cannot change the Host\n  hint: routing has "
                  "already used it; set the Host sent upstream with the proxy action's "
                  "host_rewrite",
                  "t.yaml:6:83: set: 'a b' is not a header field name",
                  "t.yaml:6:104: remove[0]: connection is managed by bulwark; header rules cannot "
                  "change it",
                  "t.yaml:6:146: x-a: content-length is managed by bulwark; header rules cannot "
                  "change it"));
}

TEST(LoaderFiltersErrorsTest, OneRulePerFieldAndDirection) {
  EXPECT_THAT(
      errors_of(with_host_filters("",
                                  "[ { headers: { request: { set: { x-a: 1 }, add: { X-A: 2 }, "
                                  "remove: [x-b], rename: { x-b: x-c } }, response: { set: { "
                                  "x-a: 1 } } } } ]")),
      ElementsAre("t.yaml:6:68: add: x-a already has a rule in request (set at line 6, column "
                  "51)\n  hint: give each field one rule per direction",
                  "t.yaml:6:103: rename: x-b already has a rule in request (remove at line 6, "
                  "column 87)\n  hint: give each field one rule per direction"));
}

TEST(LoaderFiltersErrorsTest, FilterItems) {
  EXPECT_THAT(
      errors_of(with_host_filters(
          "", "[ { name: x, headers: {} }, { header: {} }, { headers: {}, waf: {} }, {}, 7 ]")),
      ElementsAre(
          "t.yaml:6:22: filters[0]: a filter written in place has no name\n  hint: define "
          "named filters under the top-level filters: and list their names here",
          "t.yaml:6:48: filters[1]: unknown filter 'header'\n  hint: did you mean "
          "'headers'?",
          "t.yaml:6:77: filters[2]: unknown filter 'waf'\n  hint: the filters are: headers, "
          "compression, grpc_web, cache",
          "t.yaml:6:88: filters[3]: the item names no filter\n  hint: write one of: headers, "
          "compression, grpc_web, cache",
          "t.yaml:6:92: filters[4]: filter '7' is not defined\n  hint: define it under the "
          "top-level filters:, or write the filter here"));
}

TEST(LoaderFiltersErrorsTest, TwoTypesInOneItem) {
  // Only one type exists so far; a duplicate key is what two of it look like.
  EXPECT_THAT(errors_of(with_host_filters("", "[ { headers: {}, headers: {} } ]")),
              ElementsAre("t.yaml:6:35: duplicate key 'headers' in filters[0] (first at line 6, "
                          "column 22)\n  hint: YAML readers disagree on which one wins; remove "
                          "one of them"));
}

TEST(LoaderFiltersErrorsTest, UndefinedNamedFilter) {
  EXPECT_THAT(errors_of(with_host_filters("filters:\n  - name: security\n    headers: {}\n",
                                          "[ securty, other ]")),
              ElementsAre("t.yaml:9:20: filters[0]: filter 'securty' is not defined\n  hint: did "
                          "you mean 'security'?",
                          "t.yaml:9:29: filters[1]: filter 'other' is not defined\n  hint: the "
                          "named filters are: security"));
}

TEST(LoaderFiltersErrorsTest, Definitions) {
  EXPECT_THAT(
      errors_of(with_tail("filters:\n  - name: a\n    headers: {}\n  - name: a\n    headers: "
                          "{}\n  - headers: {}\n  - name: \"b c\"\n    headers: {}\n  - a\n")),
      ElementsAre("t.yaml:4:5: filters[1]: duplicate filter name 'a' (first at line 2)\n"
                  "  hint: filter names must be unique",
                  "t.yaml:6:5: filters[2]: missing required key 'name'\n  hint: a filter "
                  "defined at the top level is referred to by its name",
                  "t.yaml:7:11: name: 'b c' is not a valid name\n  hint: use letters, "
                  "digits, '_', '-' and '.' (at most 128)",
                  "t.yaml:9:5: filters[4]: expected a map, got 'a'"));
}

}  // namespace
}  // namespace bulwark::config
