// A cluster's FastCGI settings in the config (protocol: fastcgi).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "cluster_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

TEST(ClusterFastCgiConfigTest, EverySettingIsRead) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: /srv/app/, index: main.php, params: { APP_ENV: prod, EMPTY: "" } }
  - name: b
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: / }
  - name: c
    endpoints: [127.0.0.1:9000]
)");
  ASSERT_NE(config, nullptr);
  const Cluster& a = config->clusters.at(0);
  EXPECT_EQ(a.protocol, UpstreamProtocol::kFastCgi);
  ASSERT_TRUE(a.fastcgi.has_value());
  EXPECT_EQ(a.fastcgi->root, "/srv/app");
  EXPECT_EQ(a.fastcgi->index, "main.php");
  ASSERT_EQ(a.fastcgi->params.size(), 2U);
  EXPECT_EQ(a.fastcgi->params[0], (std::pair<std::string, std::string>("APP_ENV", "prod")));
  EXPECT_EQ(a.fastcgi->params[1], (std::pair<std::string, std::string>("EMPTY", "")));
  const Cluster& b = config->clusters.at(1);
  EXPECT_EQ(b.fastcgi->root, "");  // "/" + "/x.php" would be "//x.php"
  EXPECT_EQ(b.fastcgi->index, "index.php");
  EXPECT_EQ(config->clusters.at(2).protocol, UpstreamProtocol::kHttp1);
  EXPECT_FALSE(config->clusters.at(2).fastcgi.has_value());
}

TEST(ClusterFastCgiConfigTest, SettingsWithoutTheProtocolAndTheReverse) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:9000]
    fastcgi: { root: /srv/app }
  - name: b
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
)"),
              ElementsAre("t.yaml:4:14: fastcgi: only clusters with protocol: fastcgi use it\n"
                          "  hint: add protocol: fastcgi, or remove it",
                          "t.yaml:7:15: protocol: fastcgi needs the fastcgi settings\n"
                          "  hint: e.g. fastcgi: { root: /srv/app, index: index.php }"));
}

TEST(ClusterFastCgiConfigTest, Mistakes) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: srv/app }
  - name: b
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: /srv, index: a/b.php }
  - name: c
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { index: x.php }
  - name: d
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: /srv, params: { A: [1] }, rot: 1 }
  - name: e
    endpoints: [127.0.0.1:9000]
    protocol: fastcgy
  - name: f
    endpoints: [127.0.0.1:9000]
    protocol: fastcgi
    fastcgi: { root: /srv }
    health_check: { http: { path: /ping } }
)"),
              ElementsAre("t.yaml:5:22: root: give an absolute directory\n"
                          "  hint: e.g. fastcgi: { root: /srv/app, index: index.php }",
                          "t.yaml:9:35: index: give a file name, without '/'\n"
                          "  hint: e.g. index: index.php",
                          "t.yaml:13:14: fastcgi: missing root\n"
                          "  hint: e.g. fastcgi: { root: /srv/app, index: index.php }",
                          "t.yaml:17:41: A: expected a string, got a list",
                          "t.yaml:17:48: unknown key 'rot' in fastcgi\n"
                          "  hint: did you mean 'root'?",
                          "t.yaml:20:15: protocol: unknown value 'fastcgy'\n"
                          "  hint: did you mean 'fastcgi'? (the choices are: http1.1, h2, h2c, "
                          "auto, fastcgi)",
                          "t.yaml:25:19: health_check: a FastCGI cluster can only be checked "
                          "over TCP\n  hint: remove http: from the health check"));
}

}  // namespace
}  // namespace bulwark::config
