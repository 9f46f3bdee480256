#pragma once
#include <cstddef>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// Plain round robin, weights ignored. Workers start at different offsets so they do not move
// through the endpoints in lockstep.
class RoundRobinBalancer final : public Balancer {
 public:
  // `endpoint_count` must be > 0.
  explicit RoundRobinBalancer(std::size_t endpoint_count, std::size_t start = 0) noexcept
      : count_(endpoint_count), next_(start % endpoint_count) {}

  std::size_t pick(const PickContext& /*context*/) override { return pick(); }
  std::size_t pick() noexcept {
    const std::size_t i = next_;
    next_ = next_ + 1 == count_ ? 0 : next_ + 1;
    return i;
  }

 private:
  std::size_t count_;
  std::size_t next_;
};

}  // namespace bulwark::upstream
