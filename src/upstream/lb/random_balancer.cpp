#include "upstream/lb/random_balancer.h"

#include <algorithm>

namespace bulwark::upstream {

std::vector<std::uint64_t> running_weights(std::span<const std::uint32_t> weights) {
  std::vector<std::uint64_t> cumulative;
  cumulative.reserve(weights.size());
  std::uint64_t sum = 0;
  for (const std::uint32_t weight : weights)
    cumulative.push_back(sum += weight);
  return cumulative;
}

std::vector<std::uint32_t> weights_of(std::span<const BalancerEndpoint> endpoints) {
  std::vector<std::uint32_t> weights;
  weights.reserve(endpoints.size());
  for (const BalancerEndpoint& endpoint : endpoints)
    weights.push_back(endpoint.weight);
  return weights;
}

std::size_t find_weighted(std::span<const std::uint64_t> cumulative, std::uint64_t point) noexcept {
  return static_cast<std::size_t>(std::ranges::upper_bound(cumulative, point) - cumulative.begin());
}

RandomBalancer::RandomBalancer(std::span<const BalancerEndpoint> endpoints, std::uint64_t seed)
    : cumulative_(running_weights(weights_of(endpoints))), random_(seed) {}

std::size_t RandomBalancer::pick(const PickContext& /*context*/) {
  return find_weighted(cumulative_, random_.below(cumulative_.back()));
}

}  // namespace bulwark::upstream
