#include "upstream/lb/p2c_ewma_balancer.h"

#include <algorithm>

namespace bulwark::upstream {

P2cEwmaBalancer::P2cEwmaBalancer(std::span<const BalancerEndpoint> endpoints, std::uint64_t seed)
    : random_(seed) {
  state_.reserve(endpoints.size());
  for (const BalancerEndpoint& endpoint : endpoints)
    state_.push_back(State{.weight = static_cast<double>(endpoint.weight)});
}

std::size_t P2cEwmaBalancer::pick(const PickContext& /*context*/) {
  const std::size_t count = eligible_.empty() ? state_.size() : eligible_.size();
  const auto index = [this](std::size_t n) { return eligible_.empty() ? n : eligible_[n]; };
  if (count == 1) return index(0);
  const auto first = static_cast<std::size_t>(random_.below(count));
  // A second draw among the others, so the two choices always differ.
  const auto second = (first + 1 + static_cast<std::size_t>(random_.below(count - 1))) % count;
  return cost(state_[index(second)]) < cost(state_[index(first)]) ? index(second) : index(first);
}

void P2cEwmaBalancer::set_weights(std::span<const std::uint32_t> weights) {
  eligible_.clear();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) continue;
    state_[i].weight = static_cast<double>(weights[i]);
    eligible_.push_back(i);
  }
  if (eligible_.size() == weights.size()) eligible_.clear();
}

void P2cEwmaBalancer::on_request_end(std::size_t i, std::chrono::nanoseconds latency, bool ok) {
  State& state = state_[i];
  if (state.outstanding > 0) --state.outstanding;
  const auto sample =
      static_cast<double>(ok ? latency.count() : std::max(latency, kFailurePenalty).count());
  state.ewma_ns =
      sample > state.ewma_ns ? sample : (state.ewma_ns * kDecay) + (sample * (1 - kDecay));
}

}  // namespace bulwark::upstream
