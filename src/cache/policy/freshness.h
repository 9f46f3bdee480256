#pragma once
// Freshness (RFC 9111 §4.2): how long a stored response stays fresh and how old it is.

#include <cstdint>

#include "cache/policy/cache_control.h"
#include "http/header_map.h"

namespace bulwark::cache::policy {

struct HeuristicOptions {
  // A fraction of the time since Last-Modified (§4.2.2 suggests 10%), at most `max`.
  double fraction = 0.1;
  Seconds max = 86400;
};

// When the response was fetched, by the cache's clock.
struct FetchTimes {
  Seconds request_time = 0;   // the request that produced it was sent
  Seconds response_time = 0;  // its head was received
};

// §4.2.1 for a shared cache: s-maxage, else max-age, else Expires minus Date, else (only for
// heuristically cacheable status codes or `public` (§4.2.2), and without explicit freshness) the
// heuristic from a Last-Modified before Date (none without one). 0 when the response is stale at
// once (invalid freshness, Expires in the past or invalid, several Expires that differ). Date
// absent or invalid: the response time stands in for it.
Seconds freshness_lifetime(std::uint16_t status, const http::HeaderMap& response,
                           const CacheControl& response_cc, const FetchTimes& times,
                           const HeuristicOptions& heuristic) noexcept;

// Whether the lifetime came from the heuristic (a cache adds no Warning any more, but Cache-Status
// may say so).
bool has_explicit_freshness(const http::HeaderMap& response,
                            const CacheControl& response_cc) noexcept;

// §4.2.3: the response's current age at `now`, from its Age and Date fields and the fetch times.
// A clock going backwards (response before request, `now` before the response) adds nothing
// rather than a negative term; an invalid Age counts as none.
Seconds current_age(const http::HeaderMap& response, const FetchTimes& times, Seconds now) noexcept;

}  // namespace bulwark::cache::policy
