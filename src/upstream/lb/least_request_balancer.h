#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// Weighted least outstanding requests: the endpoint with the fewest requests in flight on this
// worker per unit of weight. Ties go round robin, so idle endpoints share the load evenly.
class LeastRequestBalancer final : public Balancer {
 public:
  LeastRequestBalancer(std::span<const BalancerEndpoint> endpoints, std::size_t start);
  std::size_t pick(const PickContext& context) override;
  void set_weights(std::span<const std::uint32_t> weights) override;
  void on_request_start(std::size_t i) override { ++outstanding_[i]; }
  void on_request_end(std::size_t i, std::chrono::nanoseconds latency, bool ok) override;

 private:
  std::vector<std::uint64_t> weight_;
  std::vector<std::uint64_t> outstanding_;
  std::size_t next_;  // where the scan starts: after the last pick, for the tie-break
};

}  // namespace bulwark::upstream
