#include "upstream/lb/source_ip_hash_balancer.h"

#include "upstream/lb/hash.h"
#include "upstream/lb/random_balancer.h"

namespace bulwark::upstream {

SourceIpHashBalancer::SourceIpHashBalancer(std::span<const BalancerEndpoint> endpoints)
    : cumulative_(running_weights(endpoints)) {}

std::size_t SourceIpHashBalancer::pick(const PickContext& context) {
  return find_weighted(cumulative_, hash_bytes(context.client_address) % cumulative_.back());
}

}  // namespace bulwark::upstream
