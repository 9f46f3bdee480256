#include "upstream/lb/balancer.h"

#include <string>
#include <vector>

#include "upstream/lb/consistent_hash_balancer.h"
#include "upstream/lb/hash.h"
#include "upstream/lb/least_request_balancer.h"
#include "upstream/lb/p2c_ewma_balancer.h"
#include "upstream/lb/random_balancer.h"
#include "upstream/lb/round_robin_balancer.h"
#include "upstream/lb/source_ip_hash_balancer.h"
#include "upstream/lb/weighted_round_robin_balancer.h"

namespace bulwark::upstream {

std::unique_ptr<Balancer> make_balancer(const config::Cluster& cluster,
                                        std::span<const BalancerEndpoint> endpoints,
                                        std::size_t worker) {
  const std::string_view kind = cluster.balancer;
  const std::size_t count = endpoints.size();
  if (kind == "round_robin") return std::make_unique<RoundRobinBalancer>(count, worker);
  // Seeds differ per worker so that random draws do not coincide across workers.
  const std::uint64_t seed = mix64(worker + 1);
  if (kind == "weighted_round_robin")
    return std::make_unique<WeightedRoundRobinBalancer>(endpoints);
  if (kind == "least_request") return std::make_unique<LeastRequestBalancer>(endpoints, worker);
  if (kind == "p2c_ewma") return std::make_unique<P2cEwmaBalancer>(endpoints, seed);
  if (kind == "random") return std::make_unique<RandomBalancer>(endpoints, seed);
  if (kind == "source_ip_hash") return std::make_unique<SourceIpHashBalancer>(endpoints);
  if (kind == "consistent_hash") {
    return std::make_unique<ConsistentHashBalancer>(endpoints, cluster.hash_balance_factor);
  }
  // The config loader only accepts the names above.
  return std::make_unique<RoundRobinBalancer>(count, worker);
}

std::unique_ptr<Balancer> make_balancer(const config::Cluster& cluster, std::size_t worker) {
  std::vector<std::string> identities;
  identities.reserve(cluster.endpoints.size());
  for (const config::Endpoint& endpoint : cluster.endpoints)
    identities.push_back(endpoint.address.to_string());
  std::vector<BalancerEndpoint> endpoints;
  endpoints.reserve(identities.size());
  for (std::size_t i = 0; i < identities.size(); ++i)
    endpoints.push_back({identities[i], cluster.endpoints[i].weight});
  return make_balancer(cluster, endpoints, worker);
}

}  // namespace bulwark::upstream
