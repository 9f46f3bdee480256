#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// nginx's smooth weighted round robin: every pick adds each endpoint's weight to its running
// score, takes the highest score and subtracts the weight total from it. Weights 5,1,1 give
// a,a,b,a,c,a,a: the heavy endpoint's turns are spread out instead of bunched.
class WeightedRoundRobinBalancer final : public Balancer {
 public:
  explicit WeightedRoundRobinBalancer(std::span<const BalancerEndpoint> endpoints);
  std::size_t pick(const PickContext& context) override;
  void set_weights(std::span<const std::uint32_t> weights) override;

 private:
  std::vector<std::int64_t> weight_;
  std::vector<std::int64_t> current_;
  std::int64_t total_ = 0;
};

}  // namespace bulwark::upstream
