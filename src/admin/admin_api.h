#pragma once
// The admin API (config `admin:`), transport-free: a request's method, path and Authorization
// field in, a status and a body out. The admin listener (admin_listener.h) carries it over HTTP.
//
//   GET  /metrics                                   Prometheus text format (metrics_exposition.h)
//   GET  /api/build                                 version, build type, compiler
//   GET  /api/config                                the running configuration, secrets redacted
//   GET  /api/health                                clusters, endpoints, health and operator state
//   POST /api/endpoints/CLUSTER/HOST:PORT/ACTION    drain, disable or enable (control_commands.h)
//   POST /api/reload                                as SIGHUP does
//
// Errors are JSON objects {"error": "..."} with 400, 401, 404 or 405 (with Allow).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "upstream/cluster.h"

namespace bulwark::admin {

struct AdminRequest {
  std::string_view method;
  std::string_view target;         // path and query (origin-form)
  std::string_view authorization;  // the Authorization field; empty when absent
};

struct AdminReply {
  std::uint16_t status = 200;
  std::string_view content_type = "application/json";
  std::string body;
  std::string_view allow;  // for 405: the methods the path takes
};

// What the API reads and acts on: the server's running state, used on its main loop.
class AdminBackend {
 public:
  AdminBackend() = default;
  AdminBackend(const AdminBackend&) = delete;
  AdminBackend& operator=(const AdminBackend&) = delete;
  virtual ~AdminBackend() = default;

  [[nodiscard]] virtual std::string metrics() = 0;
  [[nodiscard]] virtual const config::Config& running_config() = 0;
  [[nodiscard]] virtual std::span<const upstream::Cluster> clusters() = 0;
  // Reloads the configuration file; false when the reload failed (the error log says why).
  virtual bool reload_configuration() = 0;
};

// A JSON error reply: {"error": MESSAGE}.
[[nodiscard]] AdminReply admin_error(std::uint16_t status, std::string_view message);

// `token`: what requests must carry as "Authorization: Bearer TOKEN"; empty: none asked.
[[nodiscard]] AdminReply handle_admin_request(const AdminRequest& request, std::string_view token,
                                              AdminBackend& backend);

// Whether `authorization` is "Bearer TOKEN" with `token`, compared in constant time (the time
// taken does not tell how much of a guess was right).
[[nodiscard]] bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace bulwark::admin
