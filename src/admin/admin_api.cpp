#include "admin/admin_api.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "admin/config_view.h"
#include "admin/control_commands.h"
#include "admin/endpoint_control.h"
#include "http/hex_digit.h"

namespace bulwark::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

AdminReply json_reply(std::uint16_t status, const json& body) {
  return {.status = status, .body = body.dump() + "\n"};
}

AdminReply method_not_allowed(std::string_view allow) {
  AdminReply reply = admin_error(405, fmt::format("method not allowed; this path takes {}", allow));
  reply.allow = allow;
  return reply;
}

// "/a/b%3Ac" -> {"a", "b:c"}; nullopt for a bad escape or a decoded byte that a command word
// cannot hold (a blank or a control character would split or end the command).
std::optional<std::vector<std::string>> segments_of(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const std::size_t end = std::min(path.find('/'), path.size());
    std::string segment;
    for (std::size_t i = 0; i < end; ++i) {
      char c = path[i];
      if (c == '%') {
        if (i + 2 >= end) return std::nullopt;
        const int high = http::hex_digit_value(path[i + 1]);
        const int low = http::hex_digit_value(path[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        c = static_cast<char>(high * 16 + low);
        i += 2;
      }
      if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') return std::nullopt;
      segment += c;
    }
    segments.push_back(std::move(segment));
    path.remove_prefix(end);
  }
  return segments;
}

constexpr std::string_view compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

json build_info() {
  return {{"version", BULWARK_VERSION},
          {"build_type", BULWARK_BUILD_TYPE},
          {"compiler", compiler()},
          {"cxx_standard", __cplusplus}};
}

json health(std::span<const upstream::Cluster> clusters) {
  auto listed = EndpointControl(clusters).list(std::nullopt);
  json by_cluster = json::array();
  for (const upstream::Cluster& cluster : clusters) {
    json endpoints = json::array();
    for (const EndpointStatus& e : *listed) {
      if (e.cluster != cluster.name) continue;
      endpoints.push_back({{"endpoint", e.identity},
                           {"state", upstream::to_string(e.admin)},
                           {"healthy", e.healthy},
                           {"ejected", e.ejected},
                           {"ejections", e.ejections}});
    }
    by_cluster.push_back({{"name", cluster.name}, {"endpoints", std::move(endpoints)}});
  }
  return {{"clusters", std::move(by_cluster)}};
}

// POST /api/endpoints/CLUSTER/HOST:PORT/ACTION, as the control socket's command.
AdminReply endpoint_action(const std::vector<std::string>& segments,
                           std::span<const upstream::Cluster> clusters) {
  const std::string line = fmt::format("endpoint {} {} {}", segments[4], segments[2], segments[3]);
  const ControlAnswer answer = run_control_command(line, clusters);
  // The command is well formed, so an error means a cluster, endpoint or action that does not
  // exist: 404, with the command's own message (it suggests the names that do).
  if (!answer.ok) {
    std::string_view message = answer.text;
    if (message.starts_with("error: ")) message.remove_prefix(7);
    return admin_error(404, message);
  }
  return json_reply(200, {{"result", "ok"},
                          {"cluster", segments[2]},
                          {"endpoint", segments[3]},
                          {"action", segments[4]}});
}

}  // namespace

AdminReply admin_error(std::uint16_t status, std::string_view message) {
  return json_reply(status, {{"error", message}});
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  // The scheme is case-insensitive (RFC 9110 §11.1); it is no secret.
  if (authorization.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  const std::string_view given = authorization.substr(kScheme.size());
  // Digests of equal length, so that neither the length nor the first differing byte of the
  // token shows in the time taken.
  std::array<unsigned char, SHA256_DIGEST_LENGTH> given_digest{};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> token_digest{};
  // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes bytes
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), given_digest.data());
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), token_digest.data());
  // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
  return CRYPTO_memcmp(given_digest.data(), token_digest.data(), given_digest.size()) == 0;
}

AdminReply handle_admin_request(const AdminRequest& request, std::string_view token,
                                AdminBackend& backend) {
  if (!token.empty() && !bearer_matches(request.authorization, token)) {
    return admin_error(401, "this admin listener needs Authorization: Bearer TOKEN");
  }
  const std::string_view path = request.target.substr(0, request.target.find('?'));
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET");
    return {.content_type = kMetricsType, .body = backend.metrics()};
  }
  if (path == "/api/build" || path == "/api/config" || path == "/api/health") {
    if (!get) return method_not_allowed("GET");
    if (path == "/api/build") return json_reply(200, build_info());
    if (path == "/api/config") return json_reply(200, config_view(backend.running_config()));
    return json_reply(200, health(backend.clusters()));
  }
  if (path == "/api/reload") {
    if (!post) return method_not_allowed("POST");
    if (!backend.reload_configuration()) {
      return admin_error(500,
                         "the reload failed; the running configuration is unchanged (the "
                         "error log says why)");
    }
    return json_reply(200, {{"result", "ok"}});
  }
  if (path.starts_with("/api/endpoints/")) {
    const auto segments = segments_of(path);
    if (!segments) return admin_error(400, "a path segment has a bad %-escape or a blank");
    if (segments->size() != 5) {
      return admin_error(404,
                         "endpoint paths are /api/endpoints/CLUSTER/HOST:PORT/"
                         "drain|disable|enable");
    }
    if (!post) return method_not_allowed("POST");
    return endpoint_action(*segments, backend.clusters());
  }
  return admin_error(404, fmt::format("no such admin path '{}'", path));
}

}  // namespace bulwark::admin
