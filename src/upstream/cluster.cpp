#include "upstream/cluster.h"

#include <fmt/format.h>

#include "net/listener.h"

namespace bulwark::upstream {

bool resolve_cluster(const config::Cluster& spec, StateBoard& board, Cluster& out,
                     std::string& error) {
  out.name = spec.name;
  out.pool = spec.pool;
  out.counters = board.counters(spec.name);
  out.endpoints.clear();
  for (const config::Endpoint& endpoint : spec.endpoints) {
    asio::ip::tcp::endpoint address;
    if (!net::resolve(endpoint.address, address, error)) {
      error = fmt::format("cluster '{}': {}", spec.name, error);
      return false;
    }
    std::string label = endpoint.address.to_string();
    auto state = board.endpoint(spec.name, label);
    out.endpoints.push_back({address, std::move(label), std::move(state), endpoint.weight});
  }
  if (spec.sticky) {
    const std::string key = sticky_key(*spec.sticky, error);
    if (key.empty()) {
      error = fmt::format("cluster '{}': {}", spec.name, error);
      return false;
    }
    std::vector<std::string> identities;
    identities.reserve(out.endpoints.size());
    for (const ClusterEndpoint& endpoint : out.endpoints)
      identities.push_back(endpoint.label);
    out.sticky.emplace(*spec.sticky, spec.name, identities, key);
  }
  return true;
}

}  // namespace bulwark::upstream
