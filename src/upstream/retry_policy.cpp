#include "upstream/retry_policy.h"

#include <algorithm>

namespace bulwark::upstream {

bool may_resend(const config::RetryPolicy& policy, const http::RequestHead& request) noexcept {
  if (policy.methods.empty()) return http::is_idempotent(request.method);
  return std::ranges::find(policy.methods, request.method_token) != policy.methods.end();
}

bool retries_status(const config::RetryPolicy& policy, std::uint16_t status) noexcept {
  return std::ranges::find(policy.on_statuses, status) != policy.on_statuses.end();
}

core::Clock::duration backoff_delay(const config::RetryPolicy& policy, std::uint32_t retry,
                                    SplitMix64& random) noexcept {
  const std::uint32_t doublings = std::min<std::uint32_t>(retry > 0 ? retry - 1 : 0, 20);
  const auto ceiling =
      std::min<config::Duration>(policy.backoff_base * (1U << doublings), policy.backoff_max);
  const auto span = std::chrono::duration_cast<std::chrono::microseconds>(ceiling).count();
  if (span <= 0) return {};
  return std::chrono::microseconds(random.below(static_cast<std::uint64_t>(span)));
}

}  // namespace bulwark::upstream
