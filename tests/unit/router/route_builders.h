#pragma once
// Routes, virtual hosts and listeners for the router tests, built as the loader would build them.

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace bulwark::router::fixtures {

inline config::Route path_route(config::PathMatchKind kind, std::string path) {
  config::Route route;
  route.match.path_kind = kind;
  route.match.path = std::move(path);
  return route;
}

inline config::Route prefix_route(std::string prefix) {
  return path_route(config::PathMatchKind::kPrefix, std::move(prefix));
}

inline config::Route exact_route(std::string path) {
  return path_route(config::PathMatchKind::kExact, std::move(path));
}

inline config::Route regex_route(std::string pattern) {
  return path_route(config::PathMatchKind::kRegex, std::move(pattern));
}

inline config::ValueMatch value_match(std::string name, config::ValueMatchKind kind,
                                      std::string value = {}, bool invert = false) {
  return {.name = std::move(name), .kind = kind, .value = std::move(value), .invert = invert};
}

inline config::VirtualHost vhost(std::vector<std::string> domains,
                                 std::vector<config::Route> routes = {prefix_route("/")}) {
  config::VirtualHost v;
  v.domains = std::move(domains);
  v.routes = std::move(routes);
  return v;
}

inline config::Listener listener(std::vector<config::VirtualHost> vhosts) {
  config::Listener l;
  l.name = "test";
  l.virtual_hosts = std::move(vhosts);
  return l;
}

}  // namespace bulwark::router::fixtures
