// include: files and globs relative to the including file, merged sections, nested includes,
// cycles, and diagnostics that name the file they are in.

#include "config/include.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/loader.h"

namespace bulwark::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kListener = R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: demo }
)";

constexpr std::string_view kCluster = R"(clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";

class IncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "bulwark-include-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Writes `text` to `name` under the test's directory; returns its path.
  std::string write(const std::string& name, std::string_view text) {
    const fs::path path = fs::path(dir_) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  LoadResult load(const std::string& main_text) {
    return load_config_file(write("main.yaml", main_text));
  }

  std::vector<std::string> errors(const std::string& main_text) {
    const LoadResult result = load(main_text);
    EXPECT_EQ(result.config, nullptr);
    std::vector<std::string> lines;
    lines.reserve(result.errors.size());
    for (const Diagnostic& d : result.errors)
      lines.push_back(d.format());
    return lines;
  }

  ConfigPtr load_ok(const std::string& main_text) {
    LoadResult result = load(main_text);
    for (const Diagnostic& d : result.errors)
      ADD_FAILURE() << d.format();
    return result.config;
  }

  std::string dir_;
};

std::vector<std::string> listener_names(const Config& config) {
  std::vector<std::string> names;
  names.reserve(config.listeners.size());
  for (const Listener& listener : config.listeners)
    names.push_back(listener.name);
  return names;
}

std::vector<std::string> cluster_names(const Config& config) {
  std::vector<std::string> names;
  names.reserve(config.clusters.size());
  for (const Cluster& cluster : config.clusters)
    names.push_back(cluster.name);
  return names;
}

TEST_F(IncludeTest, IncludedListsAreAppendedToTheMainFile) {
  write("more.yaml", R"(clusters:
  - name: extra
    endpoints: [127.0.0.1:9001]
listeners:
  - name: admin
    listen: 127.0.0.1:8081
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: demo }
)");
  // The main file's route uses the included cluster, the included route the main file's one.
  const ConfigPtr config = load_ok(R"(include: [more.yaml]
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: extra }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8082]
)");
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(listener_names(*config), ElementsAre("public", "admin"));
  EXPECT_THAT(cluster_names(*config), ElementsAre("demo", "extra"));
  EXPECT_EQ(config->source, path("main.yaml"));
  // Marks of included items name their file.
  EXPECT_EQ(config->listeners[1].mark.file, path("more.yaml"));
  EXPECT_EQ(config->listeners[1].mark.line, 5);
  EXPECT_EQ(config->clusters[1].mark.file, path("more.yaml"));
}

TEST_F(IncludeTest, ListenersMayAllComeFromIncludedFiles) {
  write("listeners.yaml", kListener);
  const ConfigPtr config =
      load_ok("include: [listeners.yaml]\nlisteners: []\n" + std::string(kCluster));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(listener_names(*config), ElementsAre("public"));
}

TEST_F(IncludeTest, NoListenerInAnyFileIsReportedOnce) {
  write("clusters.yaml", "clusters: []\n");
  EXPECT_THAT(
      errors("include: [clusters.yaml]\n" + std::string(kCluster)),
      ElementsAre(path("main.yaml") + ":1:1: the configuration: missing required key 'listeners'"));
  write("empty.yaml", "listeners: []\n");
  const std::string hint =
      "\n  hint: e.g. listeners: [ { name: public, listen: 127.0.0.1:8080, virtual_hosts: ... } ]";
  EXPECT_THAT(errors("include: [empty.yaml]\n" + std::string(kCluster)),
              ElementsAre(path("empty.yaml") +
                          ":1:12: listeners: at least one listener is required" + hint));
  EXPECT_THAT(errors("include: [empty.yaml]\nlisteners: []\n" + std::string(kCluster)),
              ElementsAre(path("main.yaml") +
                          ":2:12: listeners: at least one listener is required" + hint));
}

TEST_F(IncludeTest, GlobsIncludeMatchingFilesInSortedOrderAndSkipDirectories) {
  write("conf.d/b.yaml", R"(clusters:
  - name: b
    endpoints: [127.0.0.1:9002]
)");
  write("conf.d/a.yaml", R"(clusters:
  - name: a
    endpoints: [127.0.0.1:9001]
)");
  write("conf.d/notes.txt", "not yaml: [");
  fs::create_directories(path("conf.d/sub.yaml"));  // a directory the glob matches
  const ConfigPtr config =
      load_ok("include: [\"conf.d/*.yaml\"]\n" + std::string(kListener) + std::string(kCluster));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(cluster_names(*config), ElementsAre("demo", "a", "b"));
}

TEST_F(IncludeTest, AGlobMatchingNothingIsFine) {
  const ConfigPtr config = load_ok("include: [\"conf.d/*.yaml\", \"none-*.yaml\"]\n" +
                                   std::string(kListener) + std::string(kCluster));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(cluster_names(*config), ElementsAre("demo"));
}

TEST_F(IncludeTest, AMissingPlainPathIsAnError) {
  EXPECT_THAT(
      errors("include:\n  - missing.yaml\n" + std::string(kListener) + std::string(kCluster)),
      ElementsAre(path("main.yaml") + ":2:5: include[0]: cannot read '" + path("missing.yaml") +
                  "': No such file or directory"));
}

TEST_F(IncludeTest, AbsolutePathsAndEnvironmentVariables) {
  const std::string more = write("elsewhere/more.yaml", kCluster);
  ::setenv("BULWARK_TEST_INCLUDE_DIR", (fs::path(dir_) / "elsewhere").c_str(), 1);
  const ConfigPtr config =
      load_ok("include: [\"${BULWARK_TEST_INCLUDE_DIR}/more.yaml\"]\n" + std::string(kListener));
  ::unsetenv("BULWARK_TEST_INCLUDE_DIR");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->clusters.at(0).mark.file, more);
  // An absolute entry is taken as it is, not joined to the including file's directory.
  const ConfigPtr absolute = load_ok("include: [\"" + more + "\"]\n" + std::string(kListener));
  ASSERT_NE(absolute, nullptr);
  EXPECT_EQ(absolute->clusters.at(0).mark.file, more);
}

TEST_F(IncludeTest, OtherKeysInAnIncludedFileAreErrors) {
  write("more.yaml", "workers: 2\nlistner: []\nfoo: 1\nclusters: []\n");
  EXPECT_THAT(
      errors("include: [more.yaml]\n" + std::string(kListener) + std::string(kCluster)),
      ElementsAre(
          path("more.yaml") +
              ":1:1: 'workers' cannot be set in an included file\n  hint: set it "
              "in " +
              path("main.yaml") +
              "; an included file holds only listeners, clusters, filters and "
              "include",
          path("more.yaml") + ":2:1: unknown key 'listner'\n  hint: did you mean 'listeners'?",
          path("more.yaml") + ":3:1: unknown key 'foo'\n  hint: an included file holds only "
                              "listeners, clusters, filters and include"));
}

TEST_F(IncludeTest, DiagnosticsNameTheIncludedFileAndComeAfterTheMainFiles) {
  write("more.yaml", R"(clusters:
  - name: other
    endpoints: [127.0.0.1]
listeners:
  - name: second
    listen: 127.0.0.1:8081
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: nope }
)");
  EXPECT_THAT(
      errors("workers: 0\ninclude: [more.yaml]\n" + std::string(kListener) + std::string(kCluster)),
      ElementsAre(path("main.yaml") + ":1:10: workers: 0 is out of range (from 1 to 1024)",
                  path("more.yaml") +
                      ":3:17: endpoints[0]: bad address '127.0.0.1': expected HOST:PORT\n"
                      "  hint: write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                  path("more.yaml") + ":10:31: cluster: cluster 'nope' is not defined\n  hint: the "
                                      "clusters are: demo, other"));
}

TEST_F(IncludeTest, DuplicatesAcrossFilesPointAtTheFirstDefinition) {
  write("more.yaml", R"(clusters:
  - name: demo
    endpoints: [127.0.0.1:9001]
)");
  EXPECT_THAT(errors("include: [more.yaml]\n" + std::string(kListener) + std::string(kCluster)),
              ElementsAre(path("more.yaml") +
                          ":2:11: name: duplicate cluster name 'demo' (first "
                          "at " +
                          path("main.yaml") + ":10)\n  hint: cluster names must be unique"));
}

TEST_F(IncludeTest, SyntaxErrorsNameTheIncludedFile) {
  write("more.yaml", "clusters: [a, b\n");
  EXPECT_THAT(
      errors("include: [more.yaml]\n" + std::string(kListener) + std::string(kCluster)),
      ElementsAre(path("more.yaml") + ":2:1: YAML syntax error: end of sequence flow not found"));
}

TEST_F(IncludeTest, AnEmptyIncludedFileAddsNothing) {
  write("empty.yaml", "# nothing yet\n");
  const ConfigPtr config =
      load_ok("include: [empty.yaml]\n" + std::string(kListener) + std::string(kCluster));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(cluster_names(*config), ElementsAre("demo"));
  write("list.yaml", "- a\n");
  EXPECT_THAT(
      errors("include: [list.yaml]\n" + std::string(kListener) + std::string(kCluster)),
      ElementsAre(path("list.yaml") + ":1:1: the configuration: expected a map, got a list"));
}

TEST_F(IncludeTest, NestedIncludesAreRelativeToTheIncludingFile) {
  write("sites/site.yaml", R"(include: [clusters/*.yaml]
listeners:
  - name: site
    listen: 127.0.0.1:8090
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: nested }
)");
  write("sites/clusters/nested.yaml", R"(clusters:
  - name: nested
    endpoints: [127.0.0.1:9003]
)");
  const ConfigPtr config =
      load_ok("include: [sites/site.yaml]\n" + std::string(kListener) + std::string(kCluster));
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(listener_names(*config), ElementsAre("public", "site"));
  EXPECT_THAT(cluster_names(*config), ElementsAre("demo", "nested"));
  EXPECT_EQ(config->clusters[1].mark.file, path("sites/clusters/nested.yaml"));
}

TEST_F(IncludeTest, ACycleIsAnError) {
  write("a.yaml", "include: [b.yaml]\n");
  write("b.yaml", "clusters: []\ninclude:\n  - ./a.yaml\n");
  EXPECT_THAT(errors("include: [a.yaml]\n" + std::string(kListener) + std::string(kCluster)),
              ElementsAre(path("b.yaml") + ":3:5: include[0]: include cycle: " + path("a.yaml") +
                          " -> " + path("b.yaml") + " -> " + path("./a.yaml") +
                          "\n  hint: a file must not include itself, directly or through other "
                          "files"));
}

TEST_F(IncludeTest, AGlobMatchingTheIncludingFileIsACycle) {
  write("other.yaml", "clusters: []\n");
  EXPECT_THAT(errors("include: [\"*.yaml\"]\n" + std::string(kListener) + std::string(kCluster)),
              ElementsAre(path("main.yaml") + ":1:11: include[0]: include cycle: " +
                          path("main.yaml") + " -> " + path("main.yaml") +
                          "\n  hint: a file must not include itself, directly or through other "
                          "files"));
}

TEST_F(IncludeTest, AFileIncludedTwiceIsAnError) {
  write("conf.d/a.yaml", kCluster);
  EXPECT_THAT(errors("include: [conf.d/a.yaml, \"conf.d/*\"]\n" + std::string(kListener)),
              ElementsAre(path("main.yaml") + ":1:26: include[1]: '" + path("conf.d/a.yaml") +
                          "' is already included (at " + path("main.yaml") +
                          ":1:11)\n  hint: include each file once"));
}

TEST_F(IncludeTest, EntriesMustBeNonEmptyStringsInAList) {
  EXPECT_THAT(errors("include: more.yaml\n" + std::string(kListener) + std::string(kCluster)),
              ElementsAre(path("main.yaml") + ":1:10: include: expected a list, got 'more.yaml'"));
  EXPECT_THAT(errors("include: [\"\", [x]]\n" + std::string(kListener) + std::string(kCluster)),
              ElementsAre(path("main.yaml") + ":1:11: include[0]: the path is empty",
                          path("main.yaml") + ":1:15: include[1]: expected a string, got a list"));
}

TEST_F(IncludeTest, ReadIncludesReturnsFilesDepthFirst) {
  write("a.yaml", "include: [sub/c.yaml]\n");
  write("sub/c.yaml", "clusters: []\n");
  write("b.yaml", "filters: []\n");
  YamlReader reader(path("main.yaml"), [](std::string_view) { return std::nullopt; });
  const YAML::Node root = YAML::Load("include: [a.yaml, b.yaml]");
  const Value include = reader.root(root["include"]);
  static constexpr std::array<std::string_view, 1> kTop{"include"};
  std::vector<IncludedFile> files = read_includes(reader, include, kTop);
  std::vector<std::string> names;
  names.reserve(files.size());
  for (const IncludedFile& file : files)
    names.push_back(file.reader.file());
  EXPECT_THAT(names, ElementsAre(path("a.yaml"), path("sub/c.yaml"), path("b.yaml")));
  EXPECT_TRUE(files[1].sections.has("clusters"));
  EXPECT_THAT(reader.take_errors(), IsEmpty());
}

}  // namespace
}  // namespace bulwark::config
