#pragma once
// Cache-Control (RFC 9111 §5.2) as the cache's decisions read it: every Cache-Control field line
// of a message, parsed once. Directive names are case-insensitive; arguments are a token or a
// quoted-string (§5.2: recipients accept both forms); unknown directives (cache extensions) are
// ignored. Views point into the message's header bytes. Garbage never stops the parser: a
// malformed element is skipped up to the next comma outside quotes, and a known directive with a
// malformed argument still counts (with no value). Repeated directives: see each member.

#include <cstdint>
#include <optional>
#include <string_view>

#include "http/header_map.h"

namespace bulwark::cache::policy {

// Durations and instants in whole seconds (HTTP dates have no finer resolution); instants are
// seconds since the epoch.
using Seconds = std::int64_t;

// A delta-seconds value (§1.2.2) larger than this is taken as this (2^31, as the RFC advises).
inline constexpr Seconds kMaxDeltaSeconds = 2147483648;

struct CacheControl {
  // Response directives (§5.2.2).
  bool no_store = false;
  bool no_cache = false;  // with or without field names
  // no-cache="a, b": only these fields need revalidation (quotes removed, as written, escapes
  // kept). An unqualified no-cache, an empty or malformed list, or two lists (which a view cannot
  // join) leave it empty: the whole response needs revalidation, the more restrictive reading.
  std::string_view no_cache_fields;
  bool is_private = false;  // with or without field names
  // private="a, b": a shared cache stores the response without these fields. Empty as for
  // no_cache_fields, making the response unstorable.
  std::string_view private_fields;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool must_understand = false;
  bool no_transform = false;
  bool immutable = false;  // RFC 8246
  // The first valid value (see invalid_freshness).
  std::optional<Seconds> max_age;
  std::optional<Seconds> s_maxage;
  // RFC 5861. Repeated: the smallest; invalid values are ignored.
  std::optional<Seconds> stale_while_revalidate;
  std::optional<Seconds> stale_if_error;
  // A freshness directive (max-age, s-maxage) appeared more than once with different values, or
  // with a value that is not delta-seconds: §4.2.1 says to take the response as stale (and
  // reuse.h reads a request's as max-age=0).
  bool invalid_freshness = false;

  // Request directives (§5.2.1); max_age, no_cache, no_store, no_transform and stale_if_error
  // above serve requests too.
  std::optional<Seconds> max_stale;  // max-stale=N; repeated: the smallest
  bool max_stale_any = false;        // max-stale without a value (and no max-stale=N)
  std::optional<Seconds> min_fresh;  // repeated: the largest
  bool only_if_cached = false;
};

// delta-seconds (§1.2.2): one or more digits, larger values taken as kMaxDeltaSeconds; nullopt for
// anything else. Age (§5.1) has the same syntax.
std::optional<Seconds> parse_delta_seconds(std::string_view text) noexcept;

// Parses every Cache-Control field of `headers`. A request's `Pragma: no-cache` counts as
// no-cache only when the request has no Cache-Control field (RFC 9111 §5.4); pass
// `request = true` for requests.
CacheControl parse_cache_control(const http::HeaderMap& headers, bool request = false);

}  // namespace bulwark::cache::policy
