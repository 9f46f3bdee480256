#include "cli/summary.h"

#include <fmt/format.h>

namespace bulwark::cli {
namespace {

std::string count(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string summarize(const config::Config& config) {
  std::size_t endpoints = 0;
  for (const config::Cluster& cluster : config.clusters)
    endpoints += cluster.endpoints.size();
  std::size_t routes = 0;
  for (const config::Listener& listener : config.listeners) {
    for (const config::VirtualHost& host : listener.virtual_hosts)
      routes += host.routes.size();
  }
  const std::string workers = config.workers == 0
                                  ? fmt::format("workers auto ({})", config.effective_workers())
                                  : fmt::format("workers {}", config.workers);
  return fmt::format("{}: OK — {}, {} ({}), {}, {}", config.source,
                     count(config.listeners.size(), "listener", "listeners"),
                     count(config.clusters.size(), "cluster", "clusters"),
                     count(endpoints, "endpoint", "endpoints"), count(routes, "route", "routes"),
                     workers);
}

}  // namespace bulwark::cli
