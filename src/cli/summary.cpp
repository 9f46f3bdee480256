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
  std::size_t tls_clusters = 0;
  for (const config::Cluster& cluster : config.clusters)
    tls_clusters += cluster.tls ? 1 : 0;
  std::size_t routes = 0;
  std::size_t tls_listeners = 0;
  for (const config::Listener& listener : config.listeners) {
    tls_listeners += listener.tls ? 1 : 0;
    for (const config::VirtualHost& host : listener.virtual_hosts)
      routes += host.routes.size();
  }
  // "(1 TLS)" only when some are: most configurations are plain HTTP.
  const auto tls = [](std::size_t n) { return n == 0 ? "" : fmt::format(" ({} with TLS)", n); };
  const std::string workers = config.workers == 0
                                  ? fmt::format("workers auto ({})", config.effective_workers())
                                  : fmt::format("workers {}", config.workers);
  return fmt::format("{}: OK — {}{}, {} ({}{}), {}, {}", config.source,
                     count(config.listeners.size(), "listener", "listeners"), tls(tls_listeners),
                     count(config.clusters.size(), "cluster", "clusters"),
                     count(endpoints, "endpoint", "endpoints"),
                     tls_clusters == 0 ? "" : fmt::format("; {} with TLS", tls_clusters),
                     count(routes, "route", "routes"), workers);
}

}  // namespace bulwark::cli
