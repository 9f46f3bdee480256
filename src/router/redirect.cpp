#include "router/redirect.h"

#include <fmt/format.h>

namespace bulwark::router {
namespace {

struct Authority {
  std::string_view host;  // "[v6]" keeps its brackets
  std::string_view port;  // empty when none was given
};

Authority split_authority(std::string_view authority) {
  const std::size_t close = authority.starts_with('[') ? authority.find(']') : 0;
  const std::size_t colon = authority.find(':', close == std::string_view::npos ? 0 : close);
  if (colon == std::string_view::npos) return {authority, {}};
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

std::string_view default_port(std::string_view scheme) {
  return scheme == "https" ? "443" : "80";
}

}  // namespace

std::string redirect_location(const config::RedirectAction& action, const PathRewriter* prefix,
                              const RedirectRequest& request) {
  const std::string_view scheme = action.scheme.empty() ? request.scheme : action.scheme;
  const Authority given = split_authority(request.host);
  const std::string_view host = action.host.empty() ? given.host : action.host;
  // A port is kept only when nothing else about the authority changed: http -> https on the same
  // port would land on the plain-text listener.
  std::string port;
  if (action.port) {
    port = std::to_string(*action.port);
  } else if (action.scheme.empty() && action.host.empty()) {
    port = given.port;
  }
  if (port == default_port(scheme)) port.clear();

  const std::size_t query_at = request.target.find('?');
  std::string_view query =
      query_at == std::string_view::npos ? std::string_view() : request.target.substr(query_at);
  std::string path;
  if (!action.path.empty()) {
    path = action.path;
    // A configured path with its own query replaces the request's.
    if (path.find('?') != std::string::npos) query = {};
  } else if (prefix != nullptr) {
    path = prefix->apply(request.target.substr(0, query_at));
  } else {
    path = request.target.substr(0, query_at);
  }
  if (action.strip_query) query = {};
  if (port.empty()) return fmt::format("{}://{}{}{}", scheme, host, path, query);
  return fmt::format("{}://{}:{}{}{}", scheme, host, port, path, query);
}

}  // namespace bulwark::router
