#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// A client address always lands on the same endpoint (weighted), on every worker, as long as the
// endpoints stay the same. While an endpoint is out, only its clients move (rehashed, as nginx's
// ip_hash does); a change of the configured endpoints remaps most clients, unlike
// consistent_hash.
class SourceIpHashBalancer final : public Balancer {
 public:
  // Rehashes of a client whose endpoint is out before falling back to the available ones' own
  // ranges (nginx tries 20 times too).
  static constexpr int kRehashes = 20;

  explicit SourceIpHashBalancer(std::span<const BalancerEndpoint> endpoints);
  std::size_t pick(const PickContext& context) override;
  void set_weights(std::span<const std::uint32_t> weights) override;

 private:
  std::vector<std::uint64_t> configured_;  // running sums of the configured weights
  std::vector<std::uint32_t> weight_;      // the current ones
  std::vector<std::uint64_t> available_;   // running sums of the current ones
  bool all_in_ = true;                     // every endpoint has its configured weight
};

}  // namespace bulwark::upstream
