#pragma once
// The rules of RetryPolicy (config.h) as the upstream leg asks them: which failures and
// statuses are worth another attempt, for which methods, and how long to wait before it.

#include <cstdint>

#include "config/config.h"
#include "core/timeout_list.h"
#include "http/message.h"
#include "upstream/lb/hash.h"

namespace bulwark::upstream {

// Whether the request may be sent a second time once it reached an endpoint.
bool may_resend(const config::RetryPolicy& policy, const http::RequestHead& request) noexcept;

bool retries_status(const config::RetryPolicy& policy, std::uint16_t status) noexcept;

// The wait before retry number `retry` (1 for the first): a random time below
// base x 2^(retry - 1), capped at backoff_max ("full jitter": retries of many requests that
// failed together spread out instead of arriving together again).
core::Clock::duration backoff_delay(const config::RetryPolicy& policy, std::uint32_t retry,
                                    SplitMix64& random) noexcept;

}  // namespace bulwark::upstream
