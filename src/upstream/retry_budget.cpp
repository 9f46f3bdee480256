#include "upstream/retry_budget.h"

#include <algorithm>

namespace bulwark::upstream {

void RetryBudget::refill(core::Clock::time_point now) noexcept {
  if (last_refill_ == core::Clock::time_point{}) {  // the first retry: a full allowance
    last_refill_ = now;
    allowance_ = min_per_second_ * kUnit;
    return;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - last_refill_).count();
  if (seconds <= 0) return;
  last_refill_ = now;
  // The allowance never banks more than one second's worth.
  allowance_ = std::min(min_per_second_ * kUnit, allowance_ + (seconds * min_per_second_ * kUnit));
  for (std::int64_t i = 0; i < std::min<std::int64_t>(seconds, 64) && deposits_ > 0; ++i)
    deposits_ -= deposits_ / 10;
}

bool RetryBudget::try_withdraw(core::Clock::time_point now) noexcept {
  refill(now);
  if (allowance_ >= kUnit) {
    allowance_ -= kUnit;
    return true;
  }
  if (deposits_ >= kUnit) {
    deposits_ -= kUnit;
    return true;
  }
  return false;
}

}  // namespace bulwark::upstream
