#pragma once
#include <cstddef>
#include <optional>
#include <vector>

#include "upstream/lb/balancer.h"
#include "upstream/lb/weighted_round_robin_balancer.h"

namespace bulwark::upstream {

// Plain round robin: configured weights are ignored (the availability code passes equal ones),
// 0 takes an endpoint out, and unequal weights (an endpoint in slow start) switch to smooth
// weighted round robin until they are equal again. Workers start at different offsets so they do
// not move through the endpoints in lockstep.
class RoundRobinBalancer final : public Balancer {
 public:
  // `endpoint_count` must be > 0.
  explicit RoundRobinBalancer(std::size_t endpoint_count, std::size_t start = 0) noexcept
      : count_(endpoint_count), next_(start % endpoint_count) {}

  std::size_t pick(const PickContext& /*context*/) override { return pick(); }
  std::size_t pick() noexcept {
    if (weighted_) return weighted_->pick({});
    const std::size_t i = next_;
    next_ = next_ + 1 == count_ ? 0 : next_ + 1;
    return eligible_.empty() ? i : eligible_[i];
  }
  void set_weights(std::span<const std::uint32_t> weights) override;

 private:
  std::size_t count_;
  std::size_t next_;
  // The endpoints that may be picked, when some may not (else empty: all of them, the common
  // case, without the indirection).
  std::vector<std::size_t> eligible_;
  std::optional<WeightedRoundRobinBalancer> weighted_;  // while the weights differ
};

}  // namespace bulwark::upstream
