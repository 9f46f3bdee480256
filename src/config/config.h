#pragma once
// The typed configuration (DESIGN.md §2a). A Config is built and validated off the hot path by
// the loader (YAML file) or the quick mode (command line), then published as an immutable
// snapshot: std::shared_ptr<const Config>. Nothing here changes after load.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/log_level.h"
#include "net/address.h"

namespace bulwark::config {

using Duration = std::chrono::milliseconds;

// Where a configuration item came from, for messages that point at it ("file:line:column").
struct SourceMark {
  std::string file;
  int line = 0;    // 1-based; 0 when the item did not come from a file (quick mode)
  int column = 0;  // 1-based
};

struct Limits {
  std::size_t max_request_line = std::size_t{8} * 1024;   // longer request line: 414
  std::size_t max_header_bytes = std::size_t{32} * 1024;  // whole head, request line included: 431
  std::size_t max_header_count = 100;                     // more header fields: 431
  std::uint64_t max_body_bytes = 1ULL << 30;              // request body: 413 (0 = no limit)
  std::size_t max_connections_per_ip = 0;  // open connections from one client IP (0 = no limit)
  std::size_t buffer_size = std::size_t{32} * 1024;  // one I/O buffer; must hold max_header_bytes
};

struct Timeouts {
  Duration header_read{10'000};      // whole request head must arrive within this: 408
  Duration body_read{60'000};        // between two reads of a request body: 408
  Duration idle{60'000};             // keep-alive connection with no request in progress
  Duration send{60'000};             // between two successful writes to a client
  Duration upstream_connect{5'000};  // 502 after it
  Duration upstream_read{60'000};    // between two reads from a backend: 504
  Duration upstream_write{60'000};   // between two writes to a backend: 504
  Duration drain{30'000};            // graceful shutdown: in-flight requests get this long
};

struct Endpoint {
  net::HostPort address;
  SourceMark mark;
};

struct PoolSettings {
  std::size_t max_idle_per_endpoint = 1024;  // per worker
  Duration idle_timeout{60'000};             // an idle pooled connection is closed after this
};

struct Cluster {
  std::string name;
  std::string balancer = "round_robin";
  std::vector<Endpoint> endpoints;
  PoolSettings pool;
  SourceMark mark;
};

struct ProxyAction {
  std::string cluster;            // name of a Cluster
  std::size_t cluster_index = 0;  // resolved by the loader: index into Config::clusters
};

struct DirectResponseAction {
  std::uint16_t status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RouteMatch {
  std::string prefix = "/";  // path prefix; used when `exact` is empty
  std::string exact;         // exact path (query excluded)
};

struct Route {
  RouteMatch match;
  std::variant<ProxyAction, DirectResponseAction> action;
  SourceMark mark;
};

struct VirtualHost {
  std::vector<std::string> domains;  // "example.com", "*.example.com", "*" (default)
  std::vector<Route> routes;
  SourceMark mark;
};

struct Listener {
  std::string name;
  net::HostPort listen;
  std::vector<VirtualHost> virtual_hosts;
  SourceMark mark;
};

struct Forwarding {
  // Incoming X-Forwarded-*, Forwarded and X-Request-Id values are kept only from these peers.
  std::vector<net::Cidr> trusted_networks;
  std::string via = "bulwark";  // pseudonym in the Via header; empty: no Via
  bool x_forwarded = true;      // set X-Forwarded-For/-Proto/-Host
  bool forwarded = true;        // set RFC 7239 Forwarded
};

struct RequestId {
  std::string header = "x-request-id";  // generated when absent, passed upstream, echoed, logged
};

enum class AccessLogFormat : std::uint8_t { kCombined, kJson };

struct AccessLog {
  std::string path;  // empty: off; "-": standard output
  AccessLogFormat format = AccessLogFormat::kCombined;
};

using LogLevel = core::LogLevel;

struct ErrorLog {
  std::string path;  // empty: standard error
  LogLevel level = LogLevel::kInfo;
};

struct Config {
  unsigned workers = 0;  // 0: one per core ("auto")
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  Limits limits;
  Timeouts timeouts;
  Forwarding forwarding;
  RequestId request_id;
  AccessLog access_log;
  ErrorLog error_log;
  std::string source;  // the file it was loaded from, or "command line"

  [[nodiscard]] unsigned effective_workers() const noexcept;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace bulwark::config
