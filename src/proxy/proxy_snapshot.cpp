#include "proxy/proxy_snapshot.h"

#include <fmt/format.h>

#include "filters/forwarding/forwarding_filter.h"
#include "filters/request_id/request_id_filter.h"
#include "net/listener.h"

namespace bulwark::proxy {

std::shared_ptr<const ProxySnapshot> ProxySnapshot::build(config::ConfigPtr config,
                                                          std::string& error) {
  auto snapshot = std::make_shared<ProxySnapshot>();
  snapshot->config = std::move(config);
  const config::Config& spec = *snapshot->config;
  for (const config::Listener& listener : spec.listeners) {
    asio::ip::tcp::endpoint endpoint;
    if (!net::resolve(listener.listen, endpoint, error)) {
      error = fmt::format("listener '{}': {}", listener.name, error);
      return nullptr;
    }
    snapshot->listeners.push_back({&listener, endpoint, router::Router(listener)});
  }
  for (const config::Cluster& cluster_spec : spec.clusters) {
    upstream::Cluster cluster;
    if (!upstream::resolve_cluster(cluster_spec, cluster, error)) return nullptr;
    snapshot->clusters.push_back(std::move(cluster));
  }
  // The built-in chain: the request id comes first so that everything after it can log it.
  snapshot->filters.push_back(
      std::make_unique<filters::RequestIdFilterFactory>(spec.request_id.header));
  snapshot->filters.push_back(
      std::make_unique<filters::ForwardingFilterFactory>(filters::ForwardingSettings{
          spec.forwarding.via, spec.forwarding.x_forwarded, spec.forwarding.forwarded}));
  snapshot->parser_limits = {spec.limits.max_request_line, spec.limits.max_header_bytes,
                             spec.limits.max_header_count};
  return snapshot;
}

bool ProxySnapshot::trusts(const asio::ip::address& peer) const noexcept {
  for (const net::Cidr& network : config->forwarding.trusted_networks) {
    if (network.contains(peer)) return true;
  }
  return false;
}

}  // namespace bulwark::proxy
