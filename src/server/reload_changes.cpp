#include "server/reload_changes.h"

#include <fmt/format.h>

#include "config/units.h"

namespace bulwark::server {
namespace {

std::size_t count_routes(const config::Config& config) {
  std::size_t routes = 0;
  for (const config::Listener& listener : config.listeners) {
    for (const config::VirtualHost& host : listener.virtual_hosts)
      routes += host.routes.size();
  }
  return routes;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

void compare_listeners(const proxy::ProxySnapshot& running, const proxy::ProxySnapshot& next,
                       ReloadChanges& changes) {
  for (const proxy::ListenerRuntime& listener : next.listeners) {
    const proxy::ListenerRuntime* before = running.find_listener(listener.spec->name);
    if (before == nullptr) {
      changes.added.push_back(listener.spec->name);
    } else if (before->endpoint != listener.endpoint) {
      changes.moved.push_back(listener.spec->name);
    }
  }
  for (const proxy::ListenerRuntime& listener : running.listeners) {
    if (next.find_listener(listener.spec->name) == nullptr) {
      changes.removed.push_back(listener.spec->name);
    }
  }
}

void compare_restart_only(const config::Config& started, const config::Config& next,
                          ReloadChanges& changes) {
  auto& out = changes.restart_only;
  if (started.effective_workers() != next.effective_workers()) {
    out.push_back(
        fmt::format("workers {} -> {}", started.effective_workers(), next.effective_workers()));
  }
  if (started.limits.buffer_size != next.limits.buffer_size) {
    out.push_back(fmt::format("limits.buffer_size {} -> {}",
                              config::format_size(started.limits.buffer_size),
                              config::format_size(next.limits.buffer_size)));
  }
  if (started.limits.max_connections_per_ip != next.limits.max_connections_per_ip) {
    out.push_back(fmt::format("limits.max_connections_per_ip {} -> {}",
                              started.limits.max_connections_per_ip,
                              next.limits.max_connections_per_ip));
  }
  if (started.access_log.path != next.access_log.path ||
      started.access_log.format != next.access_log.format) {
    out.emplace_back("access_log");
  }
  if (started.error_log.path != next.error_log.path ||
      started.error_log.level != next.error_log.level) {
    out.emplace_back("error_log");
  }
  const auto admin_listen = [](const config::Config& c) {
    return c.admin.listen ? c.admin.listen->to_string() : std::string();
  };
  if (admin_listen(started) != admin_listen(next) || started.admin.token != next.admin.token) {
    out.emplace_back("admin");
  }
}

std::string summarize(const proxy::ProxySnapshot& running, const proxy::ProxySnapshot& next,
                      const ReloadChanges& changes) {
  std::string listeners;
  const auto add = [&](std::string_view what, const std::string& names) {
    if (names.empty()) return;
    listeners += fmt::format("{}{} {}", listeners.empty() ? "" : "; ", what, names);
  };
  add("added", join(changes.added));
  add("removed", join(changes.removed));
  std::vector<std::string> moved;
  moved.reserve(changes.moved.size());
  for (const std::string& name : changes.moved) {
    moved.push_back(
        fmt::format("{} to {}", name, next.find_listener(name)->spec->listen.to_string()));
  }
  add("moved", join(moved));
  if (listeners.empty()) listeners = "unchanged";
  const std::size_t routes = count_routes(*next.config);
  const std::size_t routes_before = count_routes(*running.config);
  return fmt::format("listeners {}; {} route(s){}, {} listener(s), {} cluster(s)", listeners,
                     routes, routes == routes_before ? "" : fmt::format(" (was {})", routes_before),
                     next.listeners.size(), next.clusters.size());
}

}  // namespace

std::vector<std::string> ReloadChanges::to_open() const {
  std::vector<std::string> names = added;
  names.insert(names.end(), moved.begin(), moved.end());
  return names;
}

std::vector<std::string> ReloadChanges::to_close() const {
  std::vector<std::string> names = removed;
  names.insert(names.end(), moved.begin(), moved.end());
  return names;
}

std::expected<ReloadChanges, std::string> compare(const proxy::ProxySnapshot& running,
                                                  const proxy::ProxySnapshot& next,
                                                  const config::Config& started) {
  // The workers' buffers keep the size they started with, and a request head must fit in one.
  if (next.config->limits.max_header_bytes > started.limits.buffer_size) {
    return std::unexpected(fmt::format(
        "limits.max_header_bytes ({}) does not fit the running limits.buffer_size ({}), which "
        "changes only at restart",
        config::format_size(next.config->limits.max_header_bytes),
        config::format_size(started.limits.buffer_size)));
  }
  ReloadChanges changes;
  compare_listeners(running, next, changes);
  compare_restart_only(started, *next.config, changes);
  changes.summary = summarize(running, next, changes);
  return changes;
}

}  // namespace bulwark::server
