#include "upstream/lb/source_ip_hash_balancer.h"

#include "upstream/lb/hash.h"
#include "upstream/lb/random_balancer.h"

namespace bulwark::upstream {

SourceIpHashBalancer::SourceIpHashBalancer(std::span<const BalancerEndpoint> endpoints)
    : configured_(running_weights(weights_of(endpoints))),
      weight_(weights_of(endpoints)),
      available_(configured_) {}

void SourceIpHashBalancer::set_weights(std::span<const std::uint32_t> weights) {
  weight_.assign(weights.begin(), weights.end());
  available_ = running_weights(weights);
  all_in_ = available_ == configured_;
}

std::size_t SourceIpHashBalancer::pick(const PickContext& context) {
  std::uint64_t hash = hash_bytes(context.client_address);
  std::size_t i = find_weighted(configured_, hash % configured_.back());
  if (all_in_) return i;
  // A reduced weight (slow start) keeps its clients; only an endpoint that is out sends them on.
  for (int round = 0; round < kRehashes && weight_[i] == 0; ++round) {
    hash = mix64(hash + 1);
    i = find_weighted(configured_, hash % configured_.back());
  }
  return weight_[i] > 0 ? i : find_weighted(available_, hash % available_.back());
}

}  // namespace bulwark::upstream
