#include "upstream/availability.h"

#include <algorithm>

namespace bulwark::upstream {
namespace {

// Slow start re-weighs a ramping endpoint this many times over its window.
constexpr int kRampSteps = 20;

// The share of its weight an endpoint that came back at `since` has at `now`, in 1/kWeightScale.
std::uint32_t ramp_share(const config::Cluster& spec, core::Clock::time_point since,
                         core::Clock::time_point now) {
  const auto elapsed = now - since;
  const auto window = std::chrono::duration_cast<core::Clock::duration>(spec.slow_start);
  if (since == core::Clock::time_point{} || elapsed >= window) return kWeightScale;
  const auto share = static_cast<std::uint32_t>(kWeightScale * elapsed / window);
  return std::max(share, spec.min_slow_start_percent * kWeightScale / 100);
}

// Plain round robin ignores the configured weights: it gets equal ones, so that only slow start
// makes them differ.
std::uint32_t configured_weight(const config::Cluster& spec, const ClusterEndpoint& endpoint) {
  return spec.balancer == "round_robin" ? 1 : endpoint.weight;
}

}  // namespace

Availability compute_weights(const config::Cluster& spec, const Cluster& cluster,
                             core::Clock::time_point now, std::vector<std::uint32_t>& weights) {
  Availability result;
  const std::size_t count = cluster.endpoints.size();
  weights.assign(count, 0);
  std::size_t candidates = 0;  // endpoints the operator left in
  for (std::size_t i = 0; i < count; ++i) {
    const ClusterEndpoint& endpoint = cluster.endpoints[i];
    const EndpointState& state = *endpoint.state;
    if (state.admin() != AdminState::kActive) continue;
    ++candidates;
    if (state.ejected()) {
      const core::Clock::time_point until = state.ejected_until();
      if (now < until) {
        result.next_change = std::min(result.next_change, until);
        continue;
      }
    }
    if (!state.healthy()) continue;
    ++result.healthy;
    std::uint32_t share = kWeightScale;
    if (spec.slow_start.count() > 0) {
      share = ramp_share(spec, state.available_since(), now);
      if (share < kWeightScale) {
        result.next_change = std::min(result.next_change, now + (spec.slow_start / kRampSteps));
      }
    }
    weights[i] = std::max<std::uint32_t>(1, configured_weight(spec, endpoint) * share);
  }
  result.any = result.healthy > 0;
  // Envoy's healthy panic threshold: with too few healthy endpoints, the healthy ones would drown
  // and the cluster fail anyway; spreading over every endpoint the operator left in serves what
  // can be served.
  if (candidates > 0 && result.healthy * 100 < spec.panic_threshold_percent * candidates) {
    result.panic = true;
    result.any = true;
    for (std::size_t i = 0; i < count; ++i) {
      const ClusterEndpoint& endpoint = cluster.endpoints[i];
      if (endpoint.state->admin() == AdminState::kActive) {
        weights[i] = configured_weight(spec, endpoint) * kWeightScale;
      }
    }
  }
  return result;
}

}  // namespace bulwark::upstream
