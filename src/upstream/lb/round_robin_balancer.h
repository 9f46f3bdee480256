#pragma once
#include <cstddef>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// Plain round robin, weights ignored except that 0 takes an endpoint out. Workers start at
// different offsets so they do not move through the endpoints in lockstep.
class RoundRobinBalancer final : public Balancer {
 public:
  // `endpoint_count` must be > 0.
  explicit RoundRobinBalancer(std::size_t endpoint_count, std::size_t start = 0) noexcept
      : count_(endpoint_count), next_(start % endpoint_count) {}

  std::size_t pick(const PickContext& /*context*/) override { return pick(); }
  std::size_t pick() noexcept {
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
};

}  // namespace bulwark::upstream
