#include "upstream/outlier_detector.h"

#include <algorithm>

#include "core/log.h"

namespace bulwark::upstream {
namespace {

// Whether one more endpoint may be ejected: at most max_ejection_percent of the cluster, but
// always at least one (Envoy's rule too), or a two-endpoint cluster could never eject.
bool may_eject_another(const config::OutlierDetection& policy, const Cluster& cluster,
                       core::Clock::time_point now) {
  std::size_t ejected = 0;
  for (const ClusterEndpoint& endpoint : cluster.endpoints) {
    if (endpoint.state->ejected() && endpoint.state->ejected_until() > now) ++ejected;
  }
  const std::size_t limit =
      std::max<std::size_t>(1, cluster.endpoints.size() * policy.max_ejection_percent / 100);
  return ejected < limit;
}

}  // namespace

AttemptOutcome outcome_of_status(std::uint16_t status) noexcept {
  if (status < 500) return AttemptOutcome::kSuccess;
  if (status >= 502 && status <= 504) return AttemptOutcome::kGatewayError;
  return AttemptOutcome::kServerError;
}

core::Clock::duration ejection_time(const config::OutlierDetection& policy,
                                    std::uint32_t previous) noexcept {
  const auto grown = policy.base_ejection_time * (std::uint64_t{previous} + 1);
  return std::min<core::Clock::duration>(grown, policy.max_ejection_time);
}

bool record_outcome(const config::OutlierDetection& policy, const Cluster& cluster, std::size_t i,
                    AttemptOutcome outcome, core::Clock::time_point now) {
  EndpointState& state = *cluster.endpoints[i].state;
  if (outcome == AttemptOutcome::kSuccess) {
    state.note_success();
    return false;
  }
  const EndpointState::Streaks streaks = state.note_error(outcome == AttemptOutcome::kGatewayError);
  const bool by_5xx = policy.consecutive_5xx > 0 && streaks.server_errors >= policy.consecutive_5xx;
  const bool by_gateway = policy.consecutive_gateway_errors > 0 &&
                          streaks.gateway_errors >= policy.consecutive_gateway_errors;
  if ((!by_5xx && !by_gateway) || state.ejected()) return false;
  if (!may_eject_another(policy, cluster, now)) {
    BULWARK_LOG_WARN("cluster {}: endpoint {} not ejected: the maximum share ({}%) is out",
                     cluster.name, cluster.endpoints[i].label, policy.max_ejection_percent);
    return false;
  }
  // An endpoint that stayed in for a whole maximum ejection time starts over at the base time.
  if (now - state.available_since() > policy.max_ejection_time) state.forgive_ejections();
  const core::Clock::duration lasts = ejection_time(policy, state.ejections());
  if (!state.eject_until(now + lasts)) return false;  // another worker was first
  BULWARK_LOG_WARN("cluster {}: endpoint {} ejected for {} ms ({} consecutive {})", cluster.name,
                   cluster.endpoints[i].label,
                   std::chrono::duration_cast<std::chrono::milliseconds>(lasts).count(),
                   by_gateway ? streaks.gateway_errors : streaks.server_errors,
                   by_gateway ? "gateway errors" : "5xx responses");
  return true;
}

}  // namespace bulwark::upstream
