#include "upstream/lb/weighted_round_robin_balancer.h"

namespace bulwark::upstream {

WeightedRoundRobinBalancer::WeightedRoundRobinBalancer(std::span<const BalancerEndpoint> endpoints)
    : current_(endpoints.size(), 0) {
  weight_.reserve(endpoints.size());
  for (const BalancerEndpoint& endpoint : endpoints) {
    weight_.push_back(endpoint.weight);
    total_ += endpoint.weight;
  }
}

std::size_t WeightedRoundRobinBalancer::pick(const PickContext& /*context*/) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < current_.size(); ++i) {
    current_[i] += weight_[i];
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= total_;
  return best;
}

}  // namespace bulwark::upstream
