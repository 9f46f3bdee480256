#pragma once
// Whether a stored response may answer a request (RFC 9111 §4, §4.2.4, RFC 5861), once its key
// and Vary matched: served as it is, served stale while a refresh runs, or only after
// revalidation with the origin.

#include <cstdint>
#include <string_view>

#include "cache/policy/cache_control.h"
#include "cache/policy/freshness.h"
#include "http/header_map.h"

namespace bulwark::cache::policy {

enum class Reuse : std::uint8_t {
  kFresh,                 // send it
  kStaleWhileRevalidate,  // send it, and refresh it in the background (RFC 5861 §3)
  kRevalidate,            // ask the origin first (conditional request); do not send it unvalidated
};

struct StoredState {
  Seconds age = 0;       // current_age()
  Seconds lifetime = 0;  // freshness_lifetime()
  const CacheControl* response_cc = nullptr;
};

struct ReuseDecision {
  Reuse reuse = Reuse::kRevalidate;
  // Why it is not kFresh, for Cache-Status (e.g. "stale", "request no-cache", "no-cache").
  std::string_view reason;
};

// The request's no-cache (or Pragma: no-cache), max-age, min-fresh and max-stale; the
// response's no-cache (unqualified), must-revalidate and proxy-revalidate (which forbid serving
// stale), s-maxage (which forbids serving stale on the client's leave: max-stale), and
// stale-while-revalidate (staleness < the window). A stale response within the client's
// max-stale is kFresh with reason "max-stale".
ReuseDecision decide_reuse(const CacheControl& request_cc, const StoredState& stored) noexcept;

// Whether a stale stored response may answer when the origin failed (a 500, 502, 503 or 504, or
// no answer at all): within the response's stale-if-error window (RFC 5861 §4), or on the
// client's or configuration's leave (the request's stale-if-error or max-stale, or
// `serve_stale_on_error`) unless s-maxage forbids that; never with must-revalidate,
// proxy-revalidate or an unqualified no-cache. A fresh response always may.
bool may_serve_stale_on_error(const CacheControl& request_cc, const StoredState& stored,
                              bool serve_stale_on_error) noexcept;

// The fields that a qualified no-cache="..." names are not sent without revalidation: true when
// `name` is one of them.
bool withheld_without_revalidation(std::string_view name, const CacheControl& response_cc) noexcept;

}  // namespace bulwark::cache::policy
