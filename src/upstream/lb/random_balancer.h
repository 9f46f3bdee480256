#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"
#include "upstream/lb/hash.h"

namespace bulwark::upstream {

// Weighted random: an endpoint is picked with probability weight / total.
class RandomBalancer final : public Balancer {
 public:
  RandomBalancer(std::span<const BalancerEndpoint> endpoints, std::uint64_t seed);
  std::size_t pick(const PickContext& context) override;

 private:
  std::vector<std::uint64_t> cumulative_;  // running weight sums, for a binary search
  SplitMix64 random_;
};

// The index whose weight range holds `point` (< the last running sum).
std::size_t find_weighted(std::span<const std::uint64_t> cumulative, std::uint64_t point) noexcept;
std::vector<std::uint64_t> running_weights(std::span<const BalancerEndpoint> endpoints);

}  // namespace bulwark::upstream
