#include "upstream/lb/least_request_balancer.h"

namespace bulwark::upstream {

LeastRequestBalancer::LeastRequestBalancer(std::span<const BalancerEndpoint> endpoints,
                                           std::size_t start)
    : outstanding_(endpoints.size(), 0), next_(start % endpoints.size()) {
  weight_.reserve(endpoints.size());
  for (const BalancerEndpoint& endpoint : endpoints)
    weight_.push_back(endpoint.weight);
}

std::size_t LeastRequestBalancer::pick(const PickContext& /*context*/) {
  const std::size_t count = weight_.size();
  std::size_t best = next_;
  const auto consider = [&](std::size_t i) {
    // (outstanding + 1) / weight compared without division: the load after this pick.
    if ((outstanding_[i] + 1) * weight_[best] < (outstanding_[best] + 1) * weight_[i]) best = i;
  };
  // From next_ round to next_ - 1, in two runs rather than with a modulo per step.
  for (std::size_t i = next_ + 1; i < count; ++i)
    consider(i);
  for (std::size_t i = 0; i < next_; ++i)
    consider(i);
  next_ = best + 1 == count ? 0 : best + 1;
  return best;
}

void LeastRequestBalancer::set_weights(std::span<const std::uint32_t> weights) {
  // Outstanding counts stay: requests in flight still load their endpoints. A weight of 0 never
  // wins the comparison in pick() against an endpoint with weight, so it is never chosen.
  weight_.assign(weights.begin(), weights.end());
}

void LeastRequestBalancer::on_request_end(std::size_t i, std::chrono::nanoseconds /*latency*/,
                                          bool /*ok*/) {
  if (outstanding_[i] > 0) --outstanding_[i];
}

}  // namespace bulwark::upstream
