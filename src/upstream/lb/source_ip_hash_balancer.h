#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// A client address always lands on the same endpoint (weighted), on every worker, as long as the
// endpoints stay the same. Unlike consistent_hash, a change of endpoints remaps most clients.
class SourceIpHashBalancer final : public Balancer {
 public:
  explicit SourceIpHashBalancer(std::span<const BalancerEndpoint> endpoints);
  std::size_t pick(const PickContext& context) override;

 private:
  std::vector<std::uint64_t> cumulative_;
};

}  // namespace bulwark::upstream
