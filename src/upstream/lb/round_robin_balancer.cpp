#include "upstream/lb/round_robin_balancer.h"

namespace bulwark::upstream {

void RoundRobinBalancer::set_weights(std::span<const std::uint32_t> weights) {
  std::uint32_t common = 0;
  bool equal = true;
  for (const std::uint32_t weight : weights) {
    if (weight == 0) continue;
    equal = equal && (common == 0 || weight == common);
    common = weight;
  }
  if (!equal) {
    std::vector<BalancerEndpoint> endpoints(weights.size());
    weighted_.emplace(endpoints);
    weighted_->set_weights(weights);
    return;
  }
  weighted_.reset();
  eligible_.clear();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] > 0) eligible_.push_back(i);
  }
  if (eligible_.size() == weights.size()) eligible_.clear();
  count_ = eligible_.empty() ? weights.size() : eligible_.size();
  next_ %= count_;
}

}  // namespace bulwark::upstream
