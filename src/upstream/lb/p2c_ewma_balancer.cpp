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
  const std::size_t count = state_.size();
  if (count == 1) return 0;
  const auto first = static_cast<std::size_t>(random_.below(count));
  // A second draw among the others, so the two choices always differ.
  const auto second = (first + 1 + static_cast<std::size_t>(random_.below(count - 1))) % count;
  return cost(state_[second]) < cost(state_[first]) ? second : first;
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
