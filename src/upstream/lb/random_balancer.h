#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"
#include "upstream/lb/hash.h"

namespace bulwark::upstream {

// Running sums of weights, for find_weighted().
std::vector<std::uint64_t> running_weights(std::span<const std::uint32_t> weights);
std::vector<std::uint32_t> weights_of(std::span<const BalancerEndpoint> endpoints);
// The index whose weight range holds `point` (< the last running sum); an endpoint of weight 0
// has an empty range and is never found.
std::size_t find_weighted(std::span<const std::uint64_t> cumulative, std::uint64_t point) noexcept;

// Weighted random: an endpoint is picked with probability weight / total.
class RandomBalancer final : public Balancer {
 public:
  RandomBalancer(std::span<const BalancerEndpoint> endpoints, std::uint64_t seed);
  std::size_t pick(const PickContext& context) override;
  void set_weights(std::span<const std::uint32_t> weights) override {
    cumulative_ = running_weights(weights);
  }

 private:
  std::vector<std::uint64_t> cumulative_;  // running weight sums, for a binary search
  SplitMix64 random_;
};

}  // namespace bulwark::upstream
