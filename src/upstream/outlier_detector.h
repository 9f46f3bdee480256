#pragma once
// Passive outlier detection (Envoy's consecutive_5xx and consecutive_gateway_failure, nginx's
// max_fails): every attempt's outcome is noted on its endpoint's shared state, and a streak that
// reaches its threshold ejects the endpoint for a time that grows with repeated ejections, as
// long as the cluster's maximum ejected share allows. Workers note outcomes without locks;
// ejections are rare and may scan the cluster.

#include <cstdint>

#include "config/config.h"
#include "core/timeout_list.h"
#include "upstream/cluster.h"

namespace bulwark::upstream {

enum class AttemptOutcome : std::uint8_t {
  kSuccess,       // a response below 500 (the endpoint works; the request may still be bad)
  kServerError,   // a 5xx other than 502, 503, 504
  kGatewayError,  // 502, 503, 504, or no response: connect failure, timeout, reset
};

AttemptOutcome outcome_of_status(std::uint16_t status) noexcept;

// Notes `outcome` for endpoint `i` of `cluster`; true when it ejected the endpoint.
bool record_outcome(const config::OutlierDetection& policy, const Cluster& cluster, std::size_t i,
                    AttemptOutcome outcome, core::Clock::time_point now);

// How long the next ejection of an endpoint ejected `previous` times in a row lasts.
core::Clock::duration ejection_time(const config::OutlierDetection& policy,
                                    std::uint32_t previous) noexcept;

}  // namespace bulwark::upstream
