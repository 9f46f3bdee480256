#include "config/quick_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../optional_value.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

using testing::value_of;

std::vector<std::string> errors_of(const QuickOptions& options) {
  const LoadResult result = build_quick_config(options);
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::string> lines;
  for (const Diagnostic& d : result.errors) {
    EXPECT_EQ(d.mark.line, 0);
    EXPECT_EQ(d.mark.file, "command line");
    lines.push_back(d.message);
  }
  return lines;
}

TEST(QuickConfigTest, BuildsOneListenerOneRouteOneCluster) {
  const LoadResult result = build_quick_config(QuickOptions{
      "127.0.0.1:8080", {"http://127.0.0.1:8081", "http://backend", "http://[::1]:9000/"}, 2, "-"});
  ASSERT_NE(result.config, nullptr);
  const Config& config = *result.config;
  EXPECT_EQ(config.source, "command line");
  EXPECT_EQ(config.workers, 2U);
  EXPECT_EQ(config.access_log.path, "-");
  ASSERT_EQ(config.listeners.size(), 1U);
  EXPECT_EQ(config.listeners[0].name, "quick");
  EXPECT_EQ(config.listeners[0].listen.to_string(), "127.0.0.1:8080");
  ASSERT_EQ(config.listeners[0].virtual_hosts.size(), 1U);
  const VirtualHost& host = config.listeners[0].virtual_hosts[0];
  EXPECT_EQ(host.domains, std::vector<std::string>{"*"});
  ASSERT_EQ(host.routes.size(), 1U);
  EXPECT_EQ(host.routes[0].match.path, "/");
  EXPECT_EQ(std::get<ProxyAction>(host.routes[0].action).cluster, "quick");
  EXPECT_EQ(std::get<ProxyAction>(host.routes[0].action).cluster_index, 0U);
  ASSERT_EQ(config.clusters.size(), 1U);
  EXPECT_EQ(config.clusters[0].name, "quick");
  EXPECT_EQ(config.clusters[0].balancer, "round_robin");
  ASSERT_EQ(config.clusters[0].endpoints.size(), 3U);
  EXPECT_EQ(config.clusters[0].endpoints[0].address.to_string(), "127.0.0.1:8081");
  EXPECT_EQ(config.clusters[0].endpoints[1].address.to_string(), "backend:80");
  EXPECT_EQ(config.clusters[0].endpoints[2].address.to_string(), "[::1]:9000");
}

TEST(QuickConfigTest, DefaultsToAutoWorkersAndNoAccessLog) {
  const LoadResult result = build_quick_config(QuickOptions{"[::1]:80", {"http://[::1]"}, 0, ""});
  ASSERT_NE(result.config, nullptr);
  EXPECT_EQ(result.config->workers, 0U);
  EXPECT_EQ(result.config->access_log.path, "");
  EXPECT_EQ(result.config->clusters[0].endpoints[0].address.to_string(), "[::1]:80");
}

TEST(QuickConfigTest, RefusesBadUrls) {
  EXPECT_THAT(errors_of(QuickOptions{"127.0.0.1:8080",
                                     {"http://b:1/api", "c:80", "http://d:0", "http://u@e:1",
                                      "http://", "HTTP://ok:1"},
                                     0,
                                     ""}),
              ElementsAre("--to 'http://b:1/api': a path, query or fragment is not supported here",
                          "--to 'c:80': expected http://HOST[:PORT] or https://HOST[:PORT]",
                          "--to 'http://d:0': the port must be a number from 1 to 65535",
                          "--to 'http://u@e:1': credentials are not supported",
                          "--to 'http://': the host is empty"));
}

TEST(QuickConfigTest, RefusesBadListenAndMissingBackends) {
  EXPECT_THAT(
      errors_of(QuickOptions{"8080", {}, 0, ""}),
      ElementsAre("--listen '8080': expected HOST:PORT", "at least one --to URL is required"));
  EXPECT_THAT(
      errors_of(QuickOptions{"", {"http://a"}, 2000, ""}),
      ElementsAre("--listen is required", "--workers 2000 is out of range (from 1 to 1024)"));
}

QuickOptions tls_options() {
  QuickOptions options{"127.0.0.1:8443", {"http://127.0.0.1:8081"}, 0, ""};
  options.tls_cert = "site.pem";
  options.tls_key = "site.key";
  return options;
}

TEST(QuickConfigTest, TlsCertAndKeyMakeAModernTlsListener) {
  const LoadResult result = build_quick_config(tls_options());
  ASSERT_NE(result.config, nullptr);
  const ListenerTls tls = value_of(result.config->listeners[0].tls);
  ASSERT_EQ(tls.certificates.size(), 1U);
  EXPECT_EQ(tls.certificates[0].cert, "site.pem");
  EXPECT_EQ(tls.certificates[0].key, "site.key");
  EXPECT_EQ(tls.policy.profile, "modern");
  EXPECT_TRUE(tls.resumption.tickets);
  EXPECT_TRUE(tls.resumption.session_cache);
  EXPECT_EQ(tls.client_certificates.mode, ClientCertificates::Mode::kOff);
  EXPECT_FALSE(result.config->clusters[0].tls.has_value());

  QuickOptions on = tls_options();
  on.tls_resumption = "on";
  EXPECT_TRUE(value_of(build_quick_config(on).config->listeners[0].tls).resumption.tickets);

  // Plain by default.
  EXPECT_FALSE(build_quick_config(QuickOptions{"127.0.0.1:80", {"http://a"}, 0, ""})
                   .config->listeners[0]
                   .tls.has_value());
}

TEST(QuickConfigTest, TlsResumptionOffTurnsTicketsAndTheCacheOff) {
  QuickOptions options = tls_options();
  options.tls_resumption = "off";
  const LoadResult result = build_quick_config(options);
  ASSERT_NE(result.config, nullptr);
  const ListenerTls tls = value_of(result.config->listeners[0].tls);
  EXPECT_FALSE(tls.resumption.tickets);
  EXPECT_FALSE(tls.resumption.session_cache);
}

TEST(QuickConfigTest, RefusesHalfATlsPair) {
  QuickOptions cert_only = tls_options();
  cert_only.tls_key.clear();
  EXPECT_THAT(errors_of(cert_only), ElementsAre("--tls-cert and --tls-key go together"));
  QuickOptions key_only = tls_options();
  key_only.tls_cert.clear();
  EXPECT_THAT(errors_of(key_only), ElementsAre("--tls-cert and --tls-key go together"));
  QuickOptions resumption_only{"127.0.0.1:80", {"http://a"}, 0, ""};
  resumption_only.tls_resumption = "off";
  EXPECT_THAT(errors_of(resumption_only),
              ElementsAre("--tls-resumption needs --tls-cert and --tls-key"));
  QuickOptions bad = tls_options();
  bad.tls_resumption = "maybe";
  EXPECT_THAT(errors_of(bad), ElementsAre("--tls-resumption 'maybe': expected on or off"));
}

TEST(QuickConfigTest, HttpsBackendsMakeATlsCluster) {
  QuickOptions options{"127.0.0.1:8080", {"https://api.internal", "HTTPS://[::1]:8443/"}, 0, ""};
  const LoadResult result = build_quick_config(options);
  ASSERT_NE(result.config, nullptr);
  const Cluster& cluster = result.config->clusters[0];
  EXPECT_TRUE(value_of(cluster.tls).verify);
  EXPECT_TRUE(value_of(cluster.tls).server_name.empty());
  EXPECT_EQ(cluster.endpoints[0].address.to_string(), "api.internal:443");
  EXPECT_EQ(cluster.endpoints[1].address.to_string(), "[::1]:8443");
  EXPECT_FALSE(result.config->listeners[0].tls.has_value());

  options.insecure_upstream = true;
  const LoadResult insecure = build_quick_config(options);
  ASSERT_NE(insecure.config, nullptr);
  EXPECT_FALSE(value_of(insecure.config->clusters[0].tls).verify);
}

TEST(QuickConfigTest, RefusesMixedSchemesAndInsecurePlainBackends) {
  EXPECT_THAT(
      errors_of(QuickOptions{"127.0.0.1:8080", {"https://a", "http://b", "https://c"}, 0, ""}),
      ElementsAre("--to 'http://b': the backends mix http:// and https://"));
  QuickOptions insecure{"127.0.0.1:8080", {"http://a"}, 0, ""};
  insecure.insecure_upstream = true;
  EXPECT_THAT(errors_of(insecure), ElementsAre("--insecure-upstream needs https:// backends"));
}

TEST(QuickConfigTest, AdminIsLoopbackOnly) {
  const QuickOptions base{.listen = "127.0.0.1:8080", .to = {"http://127.0.0.1:8081"}};
  QuickOptions options = base;
  options.admin = "127.0.0.1:9901";
  const LoadResult ok = build_quick_config(options);
  ASSERT_NE(ok.config, nullptr);
  EXPECT_EQ(ok.config->admin.listen->to_string(), "127.0.0.1:9901");
  EXPECT_FALSE(build_quick_config(base).config->admin.listen);

  options.admin = "0.0.0.0:9901";
  EXPECT_THAT(errors_of(options), ElementsAre("--admin '0.0.0.0:9901' is not a loopback address"));
  options.admin = "nowhere";
  EXPECT_THAT(errors_of(options), ElementsAre(::testing::StartsWith("--admin 'nowhere': ")));
}

}  // namespace
}  // namespace bulwark::config
