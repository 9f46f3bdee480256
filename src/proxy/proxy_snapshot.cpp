#include "proxy/proxy_snapshot.h"

#include "filters/forwarding/forwarding_filter.h"
#include "filters/request_id/request_id_filter.h"
#include "net/listener.h"

namespace bulwark::proxy {

std::shared_ptr<const ProxySnapshot> ProxySnapshot::build(config::ConfigPtr config,
                                                          std::string& error) {
  auto snapshot = std::make_shared<ProxySnapshot>();
  snapshot->config = config;
  for (const config::Listener& listener : config->listeners) {
    asio::ip::tcp::endpoint endpoint;
    if (!net::resolve(listener.listen, endpoint, error)) {
      error = "listener '" + listener.name + "': " + error;
      return nullptr;
    }
    snapshot->listeners.push_back({&listener, endpoint, router::Router(listener)});
  }
  for (const config::Cluster& spec : config->clusters) {
    upstream::Cluster cluster;
    if (!upstream::resolve_cluster(spec, cluster, error)) return nullptr;
    snapshot->clusters.push_back(std::move(cluster));
  }
  // The built-in chain: the request id comes first so that everything after it can log it.
  snapshot->filters.push_back(
      std::make_unique<filters::RequestIdFilterFactory>(config->request_id.header));
  snapshot->filters.push_back(
      std::make_unique<filters::ForwardingFilterFactory>(filters::ForwardingSettings{
          config->forwarding.via, config->forwarding.x_forwarded, config->forwarding.forwarded}));
  snapshot->parser_limits = {config->limits.max_request_line, config->limits.max_header_bytes,
                             config->limits.max_header_count};
  return snapshot;
}

bool ProxySnapshot::trusts(const asio::ip::address& peer) const noexcept {
  for (const net::Cidr& network : config->forwarding.trusted_networks) {
    if (network.contains(peer)) return true;
  }
  return false;
}

}  // namespace bulwark::proxy
