#pragma once
// Whether a shared cache may store a response (RFC 9111 §3, with §5.2 and §4.2.2 for what makes
// a status code heuristically cacheable). Only GET responses are stored; HEAD is answered from
// them (§4, and reuse.h).

#include <cstdint>
#include <string_view>

#include "cache/policy/cache_control.h"
#include "http/message.h"

namespace bulwark::cache::policy {

struct StoreOptions {
  // Responses that set cookies are stored (the Set-Cookie field with them). Off by default: one
  // user's cookie must never reach another.
  bool store_set_cookie = false;
};

enum class StoreDecision : std::uint8_t {
  kStore,
  kMethod,  // not a GET
  // Not final, 206, 304 (it freshens, header_update.h), or a status code this cache does not
  // understand. §3 would allow storing an unknown final status with explicit freshness; this
  // cache only stores what it understands (RFC 9110 §15's codes).
  kStatus,
  kNoStore,         // no-store in the request or the response (unless must-understand allows)
  kPrivate,         // private without field names
  kAuthorization,   // a request with Authorization and no public / s-maxage / must-revalidate
  kSetCookie,       // Set-Cookie and StoreOptions::store_set_cookie is off
  kVaryStar,        // Vary: * never matches a later request
  kNotCacheable,    // no explicit freshness and a status that is not heuristically cacheable
  kRangeOrPartial,  // the request carried Range, so the response is partial or unknown
};

// A short reason for the access log and the Cache-Status detail, e.g. "no-store"; always an
// sf-token, so it goes into Cache-Status unquoted ("stored" for kStore).
std::string_view describe(StoreDecision decision) noexcept;

// Whether the status code is heuristically cacheable (RFC 9110 §15.1): 200, 203, 204, 206, 300,
// 301, 308, 404, 405, 410, 414, 501.
bool heuristically_cacheable(std::uint16_t status) noexcept;

StoreDecision decide_storable(const http::RequestHead& request, const CacheControl& request_cc,
                              const http::ResponseHead& response, const CacheControl& response_cc,
                              const StoreOptions& options) noexcept;

// Whether a response field is kept in storage: not hop-by-hop (Connection and the fields it
// names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade), not one that private=
// names. Age is stored: current_age() needs the Age the response came with (an upstream cache's
// time, §4.2.3); whoever sends a stored response replaces it with the current age
// (HeaderMap::set). Fields that no-cache="..." names are stored (reuse.h withholds them).
bool stored_field(std::string_view name, const http::HeaderMap& response,
                  const CacheControl& response_cc) noexcept;

}  // namespace bulwark::cache::policy
