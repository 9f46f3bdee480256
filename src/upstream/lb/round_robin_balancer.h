#pragma once
#include <cstddef>

namespace bulwark::upstream {

// Plain round robin, one instance per worker and cluster: no shared counter, no atomics. Workers
// start at different offsets so they do not move through the endpoints in lockstep.
class RoundRobinBalancer {
 public:
  explicit RoundRobinBalancer(std::size_t start = 0) noexcept : next_(start) {}

  // Index of the endpoint for the next request; `endpoint_count` must be > 0.
  std::size_t pick(std::size_t endpoint_count) noexcept { return next_++ % endpoint_count; }

 private:
  std::size_t next_;
};

}  // namespace bulwark::upstream
