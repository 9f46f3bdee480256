// The loader on good input: defaults, every key, units, marks, ${VAR}.

#include "config/loader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace bulwark::config {
namespace {

using std::chrono::milliseconds;

std::string describe(const LoadResult& result) {
  std::string text;
  for (const Diagnostic& d : result.errors)
    text += d.format() + "\n";
  return text;
}

ConfigPtr load_ok(std::string_view yaml) {
  LoadResult result = load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(result.errors.empty()) << describe(result);
  EXPECT_NE(result.config, nullptr);
  return result.config;
}

constexpr std::string_view kMinimal = R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";

TEST(LoaderTest, MinimalConfigGetsTheDefaults) {
  const ConfigPtr config = load_ok(kMinimal);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->source, "t.yaml");
  EXPECT_EQ(config->workers, 0U);
  const Limits limits;
  EXPECT_EQ(config->limits.max_request_line, limits.max_request_line);
  EXPECT_EQ(config->limits.max_header_bytes, limits.max_header_bytes);
  EXPECT_EQ(config->limits.max_header_count, limits.max_header_count);
  EXPECT_EQ(config->limits.max_body_bytes, limits.max_body_bytes);
  EXPECT_EQ(config->limits.max_connections_per_ip, limits.max_connections_per_ip);
  EXPECT_EQ(config->limits.buffer_size, limits.buffer_size);
  const Timeouts timeouts;
  EXPECT_EQ(config->timeouts.header_read, timeouts.header_read);
  EXPECT_EQ(config->timeouts.drain, timeouts.drain);
  EXPECT_TRUE(config->forwarding.trusted_networks.empty());
  EXPECT_EQ(config->forwarding.via, "bulwark");
  EXPECT_TRUE(config->forwarding.x_forwarded);
  EXPECT_TRUE(config->forwarding.forwarded);
  EXPECT_EQ(config->request_id.header, "x-request-id");
  EXPECT_EQ(config->access_log.path, "");
  EXPECT_EQ(config->error_log.level, LogLevel::kInfo);
  EXPECT_EQ(config->control_socket, "");

  ASSERT_EQ(config->listeners.size(), 1U);
  const Listener& listener = config->listeners[0];
  EXPECT_EQ(listener.name, "public");
  EXPECT_EQ(listener.listen.host, "127.0.0.1");
  EXPECT_EQ(listener.listen.port, 8080);
  ASSERT_EQ(listener.virtual_hosts.size(), 1U);
  const Route& route = listener.virtual_hosts[0].routes.at(0);
  EXPECT_EQ(route.match.path_kind, PathMatchKind::kPrefix);
  EXPECT_EQ(route.match.path, "/");
  ASSERT_TRUE(std::holds_alternative<ProxyAction>(route.action));
  EXPECT_EQ(std::get<ProxyAction>(route.action).cluster, "demo");

  ASSERT_EQ(config->clusters.size(), 1U);
  EXPECT_EQ(config->clusters[0].balancer, "round_robin");
  EXPECT_EQ(config->clusters[0].pool.max_idle_per_endpoint, 1024U);
  EXPECT_EQ(config->clusters[0].pool.idle_timeout, milliseconds(60'000));
}

TEST(LoaderTest, MarksPointAtEachItem) {
  const ConfigPtr config = load_ok(kMinimal);
  ASSERT_NE(config, nullptr);
  const Listener& listener = config->listeners.at(0);
  EXPECT_EQ(listener.mark.file, "t.yaml");
  EXPECT_EQ(listener.mark.line, 2);
  EXPECT_EQ(listener.mark.column, 5);
  EXPECT_EQ(listener.virtual_hosts.at(0).mark.line, 5);
  EXPECT_EQ(listener.virtual_hosts.at(0).mark.column, 9);
  EXPECT_EQ(listener.virtual_hosts.at(0).routes.at(0).mark.line, 7);
  EXPECT_EQ(listener.virtual_hosts.at(0).routes.at(0).mark.column, 13);
  const Cluster& cluster = config->clusters.at(0);
  EXPECT_EQ(cluster.mark.line, 9);
  EXPECT_EQ(cluster.mark.column, 5);
  EXPECT_EQ(cluster.endpoints.at(0).mark.line, 10);
  EXPECT_EQ(cluster.endpoints.at(0).mark.column, 17);
}

TEST(LoaderTest, ReadsEveryKey) {
  const ConfigPtr config = load_ok(R"(workers: 4
limits:
  max_request_line: 4KiB
  max_header_bytes: 64KiB
  max_header_count: 50
  max_body_bytes: 0
  max_connections_per_ip: 100
  buffer_size: 1MiB
timeouts:
  header_read: 500ms
  body_read: 1m30s
  idle: 2m
  send: 1h
  upstream_connect: 1s
  upstream_read: 30s
  upstream_write: 45s
  drain: 0s
forwarding:
  trusted_networks: [10.0.0.0/8, "::1"]
  via: ""
  x_forwarded: false
  forwarded: false
request_id: { header: X-Trace-Id }
access_log: { path: "-", format: json }
error_log: { path: /tmp/error.log, level: off }
control_socket: /run/bulwark/control.sock
listeners:
  - name: public
    listen: "[::1]:8443"
    virtual_hosts:
      - domains: [Example.COM, "*.example.com"]
        routes:
          - match: { exact: /hello }
            direct_response:
              status: 201
              body: "hi\n"
              headers: { content-type: text/plain, x-count: 5 }
          - match: { prefix: /api/ }
            proxy: { cluster: api }
      - domains: ["*"]
        routes:
          - match: {}
            proxy: { cluster: web }
clusters:
  - name: web
    endpoints: [localhost:80]
  - name: api
    balancer: round_robin
    endpoints: [10.0.1.10:8080, "[::1]:9000"]
    pool: { max_idle_per_endpoint: 0, idle_timeout: 5s }
)");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->workers, 4U);
  EXPECT_EQ(config->effective_workers(), 4U);
  EXPECT_EQ(config->limits.max_request_line, 4096U);
  EXPECT_EQ(config->limits.max_header_bytes, 65536U);
  EXPECT_EQ(config->limits.max_header_count, 50U);
  EXPECT_EQ(config->limits.max_body_bytes, 0U);
  EXPECT_EQ(config->limits.max_connections_per_ip, 100U);
  EXPECT_EQ(config->limits.buffer_size, 1U << 20);
  EXPECT_EQ(config->timeouts.header_read, milliseconds(500));
  EXPECT_EQ(config->timeouts.body_read, milliseconds(90'000));
  EXPECT_EQ(config->timeouts.idle, milliseconds(120'000));
  EXPECT_EQ(config->timeouts.send, milliseconds(3'600'000));
  EXPECT_EQ(config->timeouts.upstream_connect, milliseconds(1'000));
  EXPECT_EQ(config->timeouts.upstream_read, milliseconds(30'000));
  EXPECT_EQ(config->timeouts.upstream_write, milliseconds(45'000));
  EXPECT_EQ(config->timeouts.drain, milliseconds(0));
  ASSERT_EQ(config->forwarding.trusted_networks.size(), 2U);
  EXPECT_EQ(config->forwarding.trusted_networks[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(config->forwarding.via, "");
  EXPECT_FALSE(config->forwarding.x_forwarded);
  EXPECT_FALSE(config->forwarding.forwarded);
  EXPECT_EQ(config->request_id.header, "x-trace-id");
  EXPECT_EQ(config->access_log.path, "-");
  EXPECT_EQ(config->access_log.format, AccessLogFormat::kJson);
  EXPECT_EQ(config->error_log.path, "/tmp/error.log");
  EXPECT_EQ(config->error_log.level, LogLevel::kOff);
  EXPECT_EQ(config->control_socket, "/run/bulwark/control.sock");

  const Listener& listener = config->listeners.at(0);
  EXPECT_EQ(listener.listen.host, "::1");
  EXPECT_EQ(listener.listen.port, 8443);
  ASSERT_EQ(listener.virtual_hosts.size(), 2U);
  const VirtualHost& host = listener.virtual_hosts[0];
  EXPECT_EQ(host.domains, (std::vector<std::string>{"example.com", "*.example.com"}));
  const Route& hello = host.routes.at(0);
  EXPECT_EQ(hello.match.path_kind, PathMatchKind::kExact);
  EXPECT_EQ(hello.match.path, "/hello");
  const auto& response = std::get<DirectResponseAction>(hello.action);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "hi\n");
  const std::vector<std::pair<std::string, std::string>> headers{{"content-type", "text/plain"},
                                                                 {"x-count", "5"}};
  EXPECT_EQ(response.headers, headers);
  const Route& api = host.routes.at(1);
  EXPECT_EQ(api.match.path, "/api/");
  EXPECT_EQ(std::get<ProxyAction>(api.action).cluster, "api");
  EXPECT_EQ(std::get<ProxyAction>(api.action).cluster_index, 1U);
  EXPECT_EQ(std::get<ProxyAction>(listener.virtual_hosts[1].routes.at(0).action).cluster_index, 0U);

  const Cluster& cluster = config->clusters.at(1);
  ASSERT_EQ(cluster.endpoints.size(), 2U);
  EXPECT_EQ(cluster.endpoints[0].address.to_string(), "10.0.1.10:8080");
  EXPECT_EQ(cluster.endpoints[1].address.to_string(), "[::1]:9000");
  EXPECT_EQ(cluster.pool.max_idle_per_endpoint, 0U);
  EXPECT_EQ(cluster.pool.idle_timeout, milliseconds(5'000));
}

TEST(LoaderTest, AccessLogOff) {
  const ConfigPtr config = load_ok(std::string("access_log: off\n") + std::string(kMinimal));
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->access_log.path, "");
}

TEST(LoaderTest, EmptySectionsKeepTheDefaults) {
  // Everything below a key commented out leaves an empty value, not an error.
  const ConfigPtr config =
      load_ok(std::string("limits:\n  # max_body_bytes: 10MiB\n") + std::string(kMinimal));
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->limits.max_body_bytes, Limits{}.max_body_bytes);
}

TEST(LoaderTest, QuotedStringsThatLookLikeBooleansAreFine) {
  const ConfigPtr config =
      load_ok(std::string("forwarding: { via: \"yes\" }\n") + std::string(kMinimal));
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->forwarding.via, "yes");
}

TEST(LoaderTest, SubstitutesEnvironmentVariables) {
  ::setenv("BULWARK_TEST_PORT", "9191", 1);
  ::setenv("BULWARK_TEST_WORKERS", "3", 1);
  ::setenv("BULWARK_TEST_BODY", "from env", 1);
  const ConfigPtr config = load_ok(R"(workers: ${BULWARK_TEST_WORKERS}
listeners:
  - name: public
    listen: 127.0.0.1:${BULWARK_TEST_PORT}
    virtual_hosts:
      - domains: ["*"]
        routes:
          - direct_response: { body: "${BULWARK_TEST_BODY} $${NOT_A_VAR}" }
)");
  ::unsetenv("BULWARK_TEST_PORT");
  ::unsetenv("BULWARK_TEST_WORKERS");
  ::unsetenv("BULWARK_TEST_BODY");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->workers, 3U);
  EXPECT_EQ(config->listeners.at(0).listen.port, 9191);
  const auto& response = std::get<DirectResponseAction>(
      config->listeners.at(0).virtual_hosts.at(0).routes.at(0).action);
  EXPECT_EQ(response.body, "from env ${NOT_A_VAR}");
}

TEST(LoaderTest, QuickstartExampleLoads) {
  const std::filesystem::path root = BULWARK_SOURCE_DIR;
  const LoadResult result = load_config_file((root / "examples" / "quickstart.yaml").string());
  ASSERT_NE(result.config, nullptr) << describe(result);
  const Config& config = *result.config;
  EXPECT_EQ(config.listeners.size(), 3U);
  ASSERT_EQ(config.clusters.size(), 1U);
  EXPECT_EQ(config.clusters[0].endpoints.size(), 2U);
  EXPECT_EQ(config.listeners[0].listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(config.access_log.path, "-");
  EXPECT_EQ(config.access_log.format, AccessLogFormat::kCombined);
}

TEST(LoaderTest, UnreadableFileIsOneLine) {
  const LoadResult result = load_config_file("/nonexistent/bulwark.yaml");
  EXPECT_EQ(result.config, nullptr);
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_EQ(result.errors[0].format(),
            "cannot read config '/nonexistent/bulwark.yaml': No such file or directory");
}

}  // namespace
}  // namespace bulwark::config
