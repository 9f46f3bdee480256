#include "upstream/lb/weighted_round_robin_balancer.h"

#include <algorithm>

namespace bulwark::upstream {

WeightedRoundRobinBalancer::WeightedRoundRobinBalancer(std::span<const BalancerEndpoint> endpoints)
    : current_(endpoints.size(), 0) {
  weight_.reserve(endpoints.size());
  for (const BalancerEndpoint& endpoint : endpoints) {
    weight_.push_back(endpoint.weight);
    total_ += endpoint.weight;
  }
}

void WeightedRoundRobinBalancer::set_weights(std::span<const std::uint32_t> weights) {
  total_ = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    weight_[i] = weights[i];
    total_ += weights[i];
  }
  // A fresh start, as nginx does when its peers change: old scores would favour the endpoints
  // that just lost weight.
  std::ranges::fill(current_, 0);
}

std::size_t WeightedRoundRobinBalancer::pick(const PickContext& /*context*/) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < current_.size(); ++i) {
    current_[i] += weight_[i];
    // An endpoint out (weight 0) keeps a score of 0 and never wins against one in.
    if (current_[i] > current_[best] || weight_[best] == 0) best = i;
  }
  current_[best] -= total_;
  return best;
}

}  // namespace bulwark::upstream
