#pragma once
// The Cache-Status response field (RFC 9211): one entry per cache, e.g.
//   bulwark; hit; ttl=42
//   bulwark; fwd=miss; stored
//   bulwark; fwd=stale; fwd-status=304; ttl=60
//   bulwark; fwd=uri-miss; collapsed
//   bulwark; fwd=bypass; detail=no-store

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/policy/cache_control.h"

namespace bulwark::cache::policy {

enum class Forward : std::uint8_t {
  kNone,      // a hit: no forward
  kBypass,    // configured not to use the cache for this request
  kMethod,    // the method is not cacheable
  kUriMiss,   // nothing stored under the key
  kVaryMiss,  // stored, but for other values of the Vary fields
  kMiss,      // stored response unusable for another reason
  kRequest,   // the request's own directives (no-cache, max-age=0) forced a forward
  kStale,     // stored but stale: revalidated
};

struct CacheStatus {
  Forward forward = Forward::kNone;
  std::uint16_t forward_status = 0;  // the status the origin answered with, 0 when none
  std::optional<Seconds> ttl;        // remaining freshness (negative when stale)
  bool stored = false;               // the response was stored
  bool collapsed = false;            // this request waited for another one's response
  std::string_view detail;           // why, in a few words
};

// The field value for a cache named `name`.
std::string format_cache_status(std::string_view name, const CacheStatus& status);

}  // namespace bulwark::cache::policy
