#include "upstream/cluster.h"

#include <fmt/format.h>

#include "net/listener.h"

namespace bulwark::upstream {

bool resolve_cluster(const config::Cluster& spec, StateBoard& board, const dns::AnswerBook& answers,
                     Cluster& out, std::string& error) {
  out.name = spec.name;
  out.pool = spec.pool;
  out.counters = board.counters(spec.name);
  out.endpoints.clear();
  for (const config::Endpoint& endpoint : spec.endpoints) {
    if (const std::optional<dns::NameKey> key = dns::key_of(spec, endpoint)) {
      const dns::Answer* answer = answers.find(*key);
      if (answer == nullptr) {
        error =
            fmt::format("cluster '{}': '{}' has not been looked up", spec.name, key->query.name);
        return false;
      }
      for (const dns::Target& target : answer->targets) {
        std::string label = dns::to_string(target.address);
        auto state = board.endpoint(spec.name, label);
        // An SRV record weighs its targets; a name's addresses share the endpoint's weight.
        const std::uint32_t weight = endpoint.srv.empty() ? endpoint.weight : target.weight;
        std::string name =
            endpoint.srv.empty() ? endpoint.address.host : target.address.address().to_string();
        out.endpoints.push_back(
            {target.address, std::move(label), std::move(state), weight, std::move(name)});
      }
      continue;
    }
    asio::ip::tcp::endpoint address;
    if (!net::resolve(endpoint.address, address, error)) {
      error = fmt::format("cluster '{}': {}", spec.name, error);
      return false;
    }
    std::string label = endpoint.address.to_string();
    auto state = board.endpoint(spec.name, label);
    out.endpoints.push_back(
        {address, std::move(label), std::move(state), endpoint.weight, endpoint.address.host});
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
