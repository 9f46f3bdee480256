#include "upstream/cluster.h"

#include <fmt/format.h>

#include "net/listener.h"

namespace bulwark::upstream {

bool resolve_cluster(const config::Cluster& spec, Cluster& out, std::string& error) {
  out.name = spec.name;
  out.pool = spec.pool;
  out.endpoints.clear();
  for (const config::Endpoint& endpoint : spec.endpoints) {
    asio::ip::tcp::endpoint address;
    if (!net::resolve(endpoint.address, address, error)) {
      error = fmt::format("cluster '{}': {}", spec.name, error);
      return false;
    }
    out.endpoints.push_back({address, endpoint.address.to_string()});
  }
  return true;
}

}  // namespace bulwark::upstream
