#include "cache/policy/reuse.h"

namespace bulwark::cache::policy {
namespace {

const CacheControl kNoDirectives;

const CacheControl& response_directives(const StoredState& stored) noexcept {
  return stored.response_cc != nullptr ? *stored.response_cc : kNoDirectives;
}

// §5.2.2.2 must-revalidate and §5.2.2.8 proxy-revalidate forbid a shared cache to serve the
// response stale, whatever anyone allows.
bool stale_forbidden(const CacheControl& cc) noexcept {
  return cc.must_revalidate || cc.proxy_revalidate;
}

// §5.2.2.10: s-maxage implies proxy-revalidate, so the client's or the configuration's leave to
// serve stale does not apply. The origin's own stale-while-revalidate or stale-if-error next to
// s-maxage does (a common pairing whose only sensible reading is that the origin allows it).
bool client_leave_ignored(const CacheControl& cc) noexcept {
  return cc.s_maxage.has_value();
}

// The client accepts this much staleness (§5.2.1.2).
bool within_max_stale(const CacheControl& request_cc, Seconds staleness) noexcept {
  return request_cc.max_stale_any ||
         (request_cc.max_stale.has_value() && staleness <= *request_cc.max_stale);
}

}  // namespace

ReuseDecision decide_reuse(const CacheControl& request_cc, const StoredState& stored) noexcept {
  const CacheControl& response_cc = response_directives(stored);
  // §5.2.1.4 (and §5.4 for Pragma, folded into no_cache by the parser).
  if (request_cc.no_cache) return {Reuse::kRevalidate, "request no-cache"};
  // §5.2.2.4: unqualified no-cache; the qualified form only withholds fields.
  if (response_cc.no_cache && response_cc.no_cache_fields.empty())
    return {Reuse::kRevalidate, "no-cache"};
  // §5.2.1.1: an age above the client's max-age is not acceptable, fresh or not; an invalid
  // max-age is read as the strictest one.
  if (request_cc.invalid_freshness ||
      (request_cc.max_age.has_value() && stored.age > *request_cc.max_age))
    return {Reuse::kRevalidate, "request max-age"};
  // §5.2.1.3: it must stay fresh for at least min-fresh more seconds.
  if (request_cc.min_fresh.has_value() && stored.lifetime - stored.age < *request_cc.min_fresh)
    return {Reuse::kRevalidate, "request min-fresh"};
  // §4.2: fresh while the lifetime exceeds the age.
  if (stored.lifetime > stored.age) return {Reuse::kFresh, {}};

  const Seconds staleness = stored.age - stored.lifetime;
  if (stale_forbidden(response_cc)) return {Reuse::kRevalidate, "stale"};
  // §4.2.4: a stale response only when the client or the origin explicitly allows it.
  if (!client_leave_ignored(response_cc) && within_max_stale(request_cc, staleness))
    return {Reuse::kFresh, "max-stale"};
  // RFC 5861 §3.
  if (response_cc.stale_while_revalidate.has_value() &&
      staleness < *response_cc.stale_while_revalidate)
    return {Reuse::kStaleWhileRevalidate, "stale-while-revalidate"};
  return {Reuse::kRevalidate, "stale"};
}

bool may_serve_stale_on_error(const CacheControl& request_cc, const StoredState& stored,
                              bool serve_stale_on_error) noexcept {
  const CacheControl& response_cc = response_directives(stored);
  if (stale_forbidden(response_cc)) return false;
  // §5.2.2.4: never used without successful validation.
  if (response_cc.no_cache && response_cc.no_cache_fields.empty()) return false;
  if (stored.lifetime > stored.age) return true;
  const Seconds staleness = stored.age - stored.lifetime;
  // RFC 5861 §4: from the response, for any request; from the request, for itself.
  const auto within = [staleness](const std::optional<Seconds>& window) {
    return window.has_value() && staleness < *window;
  };
  if (within(response_cc.stale_if_error)) return true;
  if (client_leave_ignored(response_cc)) return false;
  return serve_stale_on_error || within(request_cc.stale_if_error) ||
         within_max_stale(request_cc, staleness);
}

bool withheld_without_revalidation(std::string_view name,
                                   const CacheControl& response_cc) noexcept {
  return response_cc.no_cache && http::has_token(response_cc.no_cache_fields, name);
}

}  // namespace bulwark::cache::policy
