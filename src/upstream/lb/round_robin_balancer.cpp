#include "upstream/lb/round_robin_balancer.h"

namespace bulwark::upstream {

void RoundRobinBalancer::set_weights(std::span<const std::uint32_t> weights) {
  eligible_.clear();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] > 0) eligible_.push_back(i);
  }
  if (eligible_.size() == weights.size()) eligible_.clear();
  count_ = eligible_.empty() ? weights.size() : eligible_.size();
  next_ %= count_;
}

}  // namespace bulwark::upstream
