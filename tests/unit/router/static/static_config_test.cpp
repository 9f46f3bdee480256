// static: in the configuration file (config/schema_static.cpp): what it reads and what it refuses,
// at the exact line and column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "../../config/load_results.h"
#include "config/loader.h"
#include "temp_tree.h"

namespace bulwark::config {
namespace {

using test_support::errors_of;

using ::testing::ElementsAre;

std::string with_root(std::string yaml, const std::string& root) {
  for (std::size_t at = yaml.find("ROOT"); at != std::string::npos; at = yaml.find("ROOT", at))
    yaml.replace(at, 4, root);
  return yaml;
}

constexpr std::string_view kHead = R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
)";

class StaticConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { tree_.file("www/index.html", "x"); }
  router::testing::TempTree tree_;
};

TEST_F(StaticConfigTest, ReadsEveryKey) {
  const std::string yaml = with_root(std::string(kHead) + R"(          - match: { prefix: /assets/ }
            static:
              root: ROOT
              index: [index.html, default.htm]
              dotfiles: true
              prefix_rewrite: /
          - static: { root: ROOT }
)",
                                     tree_.path("www"));
  const LoadResult result = load_config_string(yaml, "t.yaml");
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().format();
  const auto& routes = result.config->listeners[0].virtual_hosts[0].routes;
  const auto& files = std::get<StaticAction>(routes[0].action);
  EXPECT_EQ(files.root, tree_.path("www"));
  EXPECT_THAT(files.index, ElementsAre("index.html", "default.htm"));
  EXPECT_TRUE(files.dotfiles);
  EXPECT_EQ(files.prefix_rewrite, "/");
  // Defaults.
  const auto& plain = std::get<StaticAction>(routes[1].action);
  EXPECT_THAT(plain.index, ElementsAre("index.html"));
  EXPECT_FALSE(plain.dotfiles);
  EXPECT_FALSE(plain.prefix_rewrite.has_value());
}

TEST_F(StaticConfigTest, EmptyIndexListMeansNoIndex) {
  const std::string yaml = with_root(
      std::string(kHead) + "          - static: { root: ROOT, index: [] }\n", tree_.path("www"));
  const LoadResult result = load_config_string(yaml, "t.yaml");
  ASSERT_TRUE(result.errors.empty());
  EXPECT_TRUE(std::get<StaticAction>(result.config->listeners[0].virtual_hosts[0].routes[0].action)
                  .index.empty());
}

TEST_F(StaticConfigTest, RootMustBeAnExistingReadableDirectory) {
  const std::string yaml = with_root(std::string(kHead) + R"(          - match: { prefix: /a/ }
            static: { root: www }
          - match: { prefix: /b/ }
            static:
              root: ROOT/missing
          - match: { prefix: /c/ }
            static:
              root: ROOT/index.html
          - match: { prefix: /d/ }
            static: { index: [index.html] }
)",
                                     tree_.path("www"));
  EXPECT_THAT(
      errors_of(yaml),
      ElementsAre(
          "t.yaml:8:29: root: 'www' is not an absolute path\n  hint: write the "
          "directory from /, e.g. /srv/www",
          "t.yaml:11:21: root: directory '" + tree_.path("www/missing") + "' does not exist",
          "t.yaml:14:21: root: directory '" + tree_.path("www/index.html") + "' is not a directory",
          "t.yaml:16:21: static: missing required key 'root'"));
}

TEST_F(StaticConfigTest, IndexNamesArePlainFileNames) {
  const std::string yaml = with_root(std::string(kHead) + R"(          - static:
              root: ROOT
              index: [index.html, sub/x.html, "..", "", ok.htm]
)",
                                     tree_.path("www"));
  EXPECT_THAT(errors_of(yaml),
              ElementsAre("t.yaml:9:35: index[1]: 'sub/x.html' is not a plain file name\n  hint: "
                          "an index names a file inside the requested directory, e.g. index.html",
                          "t.yaml:9:47: index[2]: '..' is not a plain file name\n  hint: "
                          "an index names a file inside the requested directory, e.g. index.html",
                          "t.yaml:9:53: index[3]: '' is not a plain file name\n  hint: "
                          "an index names a file inside the requested directory, e.g. index.html"));
}

TEST_F(StaticConfigTest, PrefixRewriteNeedsAPrefixRoute) {
  const std::string yaml = with_root(std::string(kHead) + R"(          - match: { exact: /file }
            static:
              root: ROOT
              prefix_rewrite: /x/
          - match: { prefix: /y/ }
            static:
              root: ROOT
              prefix_rewrite: relative/
          - match: { prefix: /z/ }
            static:
              root: ROOT
              prefix_rewrite: "/a b/"
)",
                                     tree_.path("www"));
  EXPECT_THAT(errors_of(yaml),
              ElementsAre("t.yaml:10:31: prefix_rewrite: the route does not match by prefix\n"
                          "  hint: use match: { prefix: /PATH/ }, or drop prefix_rewrite",
                          "t.yaml:14:31: prefix_rewrite: 'relative/' must start with '/'",
                          "t.yaml:18:31: prefix_rewrite: '/a b/' is not a plain path\n  hint: no "
                          "spaces, control characters, query ('?') or fragment ('#')"));
}

TEST_F(StaticConfigTest, WrongTypesAndUnknownKeys) {
  const std::string yaml = with_root(std::string(kHead) + R"(          - static:
              root: ROOT
              dotfiles: yes
              index: index.html
              indexes: [a]
)",
                                     tree_.path("www"));
  EXPECT_THAT(errors_of(yaml),
              ElementsAre("t.yaml:9:25: dotfiles: expected true or false, got 'yes'\n  hint: "
                          "write true or false; YAML 1.2 readers take yes/no/on/off as strings",
                          "t.yaml:10:22: index: expected a list, got 'index.html'",
                          "t.yaml:11:15: unknown key 'indexes' in static\n  hint: did you mean "
                          "'index'?"));
}

}  // namespace
}  // namespace bulwark::config
