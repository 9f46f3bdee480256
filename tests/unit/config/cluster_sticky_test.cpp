// A cluster's sticky sessions in the config.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cluster_fixture.h"
#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

TEST(ClusterStickyConfigTest, EverySettingIsRead) {
  const std::string secret = ::testing::TempDir() + "sticky.key";
  std::ofstream(secret) << std::string(40, 's');
  const LoadResult result = load_clusters(R"(  - name: a
    endpoints: [127.0.0.1:1]
    sticky: { cookie: srv, max_age: 1h, path: /app, secure: true, http_only: false,
              same_site: None, secret_file: )" +
                                          secret + R"( }
  - name: b
    endpoints: [127.0.0.1:1]
    sticky: {}
)");
  ASSERT_NE(result.config, nullptr) << formatted(result).front();
  const StickySessions& sticky = *result.config->clusters.at(0).sticky;
  EXPECT_EQ(sticky.cookie, "srv");
  EXPECT_EQ(sticky.max_age, std::chrono::hours(1));
  EXPECT_EQ(sticky.path, "/app");
  EXPECT_TRUE(sticky.secure);
  EXPECT_FALSE(sticky.http_only);
  EXPECT_EQ(sticky.same_site, "None");
  EXPECT_EQ(sticky.secret_file, secret);
  const StickySessions& defaults = *result.config->clusters.at(1).sticky;
  EXPECT_EQ(defaults.cookie, "bulwark_sticky");
  EXPECT_EQ(defaults.max_age, std::nullopt);
  EXPECT_EQ(defaults.path, "/");
  EXPECT_TRUE(defaults.http_only);
  EXPECT_EQ(defaults.same_site, "Lax");
  EXPECT_TRUE(defaults.secret_file.empty());
  EXPECT_FALSE(result.config->clusters.at(0).sticky == std::nullopt);
}

TEST(ClusterStickyConfigTest, Mistakes) {
  const std::string short_secret = ::testing::TempDir() + "short.key";
  std::ofstream(short_secret) << "too short";
  const LoadResult result = load_clusters(R"(  - name: a
    endpoints: [127.0.0.1:1]
    sticky: { cookie: "a b", max_age: 0s, path: app, same_site: None, secret_file: /nonexistent/k }
  - name: b
    endpoints: [127.0.0.1:1]
    sticky: { secret_file: )" + short_secret +
                                          R"(, same_site: lax, cokie: x }
)");
  EXPECT_EQ(result.config, nullptr);
  EXPECT_THAT(
      formatted(result),
      ElementsAre(
          "t.yaml:4:23: cookie: 'a b' is not a valid cookie name\n  hint: use letters, digits "
          "and - _ . only",
          "t.yaml:4:39: max_age: 0s is out of range (from 1s to 9600h)",
          "t.yaml:4:49: path: 'app' is not a cookie path\n  hint: write an absolute path such as "
          "/ or /app",
          "t.yaml:4:65: same_site: None needs secure: true\n  hint: browsers refuse SameSite=None "
          "cookies that are not Secure",
          "t.yaml:4:84: secret_file: cannot read '/nonexistent/k'\n  hint: the file holds the "
          "cookies' signing key, e.g. 32 bytes from /dev/urandom",
          "t.yaml:7:28: secret_file: '" + short_secret +
              "' holds 9 bytes; at least 32 are needed\n  hint: head -c 32 /dev/urandom > FILE",
          "t.yaml:7:" + std::to_string(41 + short_secret.size()) +
              ": same_site: unknown value 'lax'\n  hint: did you mean 'Lax'? (the choices are: "
              "Strict, Lax, None)",
          "t.yaml:7:" + std::to_string(46 + short_secret.size()) +
              ": unknown key 'cokie' in sticky\n  hint: did you mean 'cookie'?"));
}

}  // namespace
}  // namespace bulwark::config
