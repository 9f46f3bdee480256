#include "config/quick_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

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
                                     {"https://a:443", "http://b:1/api", "c:80", "http://d:0",
                                      "http://u@e:1", "http://", "HTTP://ok:1"},
                                     0,
                                     ""}),
              ElementsAre("--to 'https://a:443': TLS to backends comes with TLS support",
                          "--to 'http://b:1/api': a path, query or fragment is not supported here",
                          "--to 'c:80': expected http://HOST[:PORT]",
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

}  // namespace
}  // namespace bulwark::config
