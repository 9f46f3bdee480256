#include "upstream/endpoint_picker.h"

#include "core/log.h"

namespace bulwark::upstream {
namespace {

// Over the snapshot's endpoints, not the configured ones: a DNS name stands for as many
// endpoints as its answer has addresses.
std::unique_ptr<Balancer> balancer_for(const config::Cluster& spec, const Cluster& cluster,
                                       std::size_t worker) {
  std::vector<BalancerEndpoint> endpoints;
  endpoints.reserve(cluster.endpoints.size());
  for (const ClusterEndpoint& endpoint : cluster.endpoints)
    endpoints.push_back({endpoint.label, endpoint.weight});
  return make_balancer(spec, endpoints, worker);
}

}  // namespace

EndpointPicker::EndpointPicker(const config::Cluster& spec, const Cluster& cluster,
                               StateBoard& board, std::size_t worker)
    : spec_(spec),
      cluster_(cluster),
      board_(board),
      balancer_(balancer_for(spec, cluster, worker)),
      weights_(cluster.endpoints.size(), 0),
      disabled_(cluster.endpoints.size(), false),
      retry_budget_(spec.retry.budget_percent, spec.retry.min_retries_per_second),
      random_(mix64(worker + 0x7265747279)) {  // "retry"
  applied_.reserve(weights_.size());
  for (const ClusterEndpoint& endpoint : cluster.endpoints)
    applied_.push_back(endpoint.weight * kWeightScale);
}

void EndpointPicker::refresh(core::Clock::time_point now) {
  // Ejections whose time is up end here, by whichever worker notices first.
  for (std::size_t i = 0; i < cluster_.endpoints.size(); ++i) {
    const ClusterEndpoint& endpoint = cluster_.endpoints[i];
    EndpointState& state = *endpoint.state;
    const bool disabled = state.admin() == AdminState::kDisabled;
    if (disabled && !disabled_[i]) newly_disabled_.push_back(i);
    disabled_[i] = disabled;
    if (state.ejected() && now >= state.ejected_until() && state.readmit(now)) {
      BULWARK_LOG_INFO("cluster {}: endpoint {} is back after its ejection", cluster_.name,
                       endpoint.label);
    }
  }
  // Read before computing: a change during the computation moves the epoch again and brings
  // another refresh.
  seen_epoch_ = board_.epoch();
  availability_ = compute_weights(spec_, cluster_, now, weights_);
  if (cluster_.counters->panic.exchange(availability_.panic) != availability_.panic) {
    if (availability_.panic) {
      BULWARK_LOG_WARN("cluster {}: only {} of {} endpoint(s) healthy: panic mode, using all",
                       cluster_.name, availability_.healthy, cluster_.endpoints.size());
    } else {
      BULWARK_LOG_INFO("cluster {}: {} endpoint(s) healthy again: panic mode over", cluster_.name,
                       availability_.healthy);
    }
  }
  if (availability_.any && weights_ != applied_) {
    balancer_->set_weights(weights_);
    applied_ = weights_;
  }
}

std::optional<std::size_t> EndpointPicker::pick(const PickContext& context,
                                                core::Clock::time_point now,
                                                std::optional<std::size_t> bound) {
  refresh_if_due(now);
  if (bound && may_stick(*bound)) {
    retry_budget_.on_request();
    return bound;
  }
  if (!availability_.any) return std::nullopt;
  retry_budget_.on_request();
  return balancer_->pick(context);
}

bool EndpointPicker::may_stick(std::size_t i) const noexcept {
  if (i >= weights_.size()) return false;
  if (weights_[i] > 0) return true;
  // Draining keeps its sessions until they end (HAProxy's drain does the same); an endpoint that
  // is down or ejected cannot serve them.
  const EndpointState& state = *cluster_.endpoints[i].state;
  return state.admin() == AdminState::kDraining && state.healthy() && !state.ejected();
}

std::optional<std::size_t> EndpointPicker::pick_other(const PickContext& context,
                                                      core::Clock::time_point now,
                                                      std::size_t previous) {
  refresh_if_due(now);
  if (!availability_.any) return std::nullopt;
  // The balancer's own choice first (it knows load and latency), a few times, as Envoy's
  // previous-hosts predicate does; then the next available endpoint in order.
  constexpr int kRedraws = 3;
  for (int draw = 0; draw < kRedraws; ++draw) {
    const std::size_t i = balancer_->pick(context);
    if (i != previous) return i;
  }
  const std::size_t count = weights_.size();
  for (std::size_t step = 1; step < count; ++step) {
    const std::size_t i = (previous + step) % count;
    if (weights_[i] > 0) return i;
  }
  return previous;  // the only one available
}

}  // namespace bulwark::upstream
