#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"
#include "upstream/lb/hash.h"

namespace bulwark::upstream {

// Power of two random choices over peak-EWMA latency (Finagle, Linkerd): two distinct endpoints
// are drawn (weighted) and the cheaper one taken, where cost = latency estimate x (outstanding +
// 1) / weight. The estimate jumps up to a slower sample at once (peak) and decays towards faster
// ones, so a slowing endpoint is avoided quickly and trusted again gradually. An endpoint never
// measured costs 0, so new endpoints are probed first.
class P2cEwmaBalancer final : public Balancer {
 public:
  // Weight of the previous estimate when a faster sample arrives (per sample, not per second, so
  // the behaviour does not depend on the request rate's clock).
  static constexpr double kDecay = 0.7;
  // A failed request counts as this slow: it must make the endpoint look worse, not faster.
  static constexpr std::chrono::nanoseconds kFailurePenalty = std::chrono::seconds(1);

  P2cEwmaBalancer(std::span<const BalancerEndpoint> endpoints, std::uint64_t seed);
  std::size_t pick(const PickContext& context) override;
  // Latency estimates and outstanding counts stay; the draws skip endpoints that are out.
  void set_weights(std::span<const std::uint32_t> weights) override;
  void on_request_start(std::size_t i) override { ++state_[i].outstanding; }
  void on_request_end(std::size_t i, std::chrono::nanoseconds latency, bool ok) override;

 private:
  struct State {
    double ewma_ns = 0;
    std::uint64_t outstanding = 0;
    double weight = 1;
  };
  [[nodiscard]] double cost(const State& state) const noexcept {
    return (state.ewma_ns + 1) * static_cast<double>(state.outstanding + 1) / state.weight;
  }

  std::vector<State> state_;
  // The endpoints that may be drawn, when some may not (else empty: all of them).
  std::vector<std::size_t> eligible_;
  SplitMix64 random_;
};

}  // namespace bulwark::upstream
