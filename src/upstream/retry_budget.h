#pragma once
// Finagle's retry budget, per worker and cluster (no shared counter): every request deposits a
// share of a retry and every retry withdraws a whole one, so retries stay within that share of
// the traffic; deposits fade by a tenth a second (about ten seconds of memory), and a small
// allowance per second lets a quiet cluster retry at all. Without it, retries multiply an
// overload: each failing request would become several.

#include <cstdint>

#include "core/timeout_list.h"

namespace bulwark::upstream {

class RetryBudget {
 public:
  RetryBudget(std::uint32_t percent, std::uint32_t min_per_second) noexcept
      : percent_(percent), min_per_second_(min_per_second) {}

  void on_request() noexcept { deposits_ += percent_ * kUnit / 100; }
  // True, and the retry paid for, when the budget allows one more.
  bool try_withdraw(core::Clock::time_point now) noexcept;

 private:
  static constexpr std::int64_t kUnit = 1000;  // one retry, in thousandths

  void refill(core::Clock::time_point now) noexcept;

  std::int64_t percent_;
  std::int64_t min_per_second_;
  std::int64_t deposits_ = 0;   // from requests, fading
  std::int64_t allowance_ = 0;  // the per-second minimum, refilled with time
  core::Clock::time_point last_refill_;  // the epoch until the first retry
};

}  // namespace bulwark::upstream
