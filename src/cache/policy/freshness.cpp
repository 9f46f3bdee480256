#include "cache/policy/freshness.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "cache/policy/storability.h"
#include "http/http_date.h"

namespace bulwark::cache::policy {
namespace {

// The Date field's value (RFC 9110 §6.6.1); the time of receipt when it is absent or invalid,
// as a recipient without one would have added it.
Seconds date_value(const http::HeaderMap& response, const FetchTimes& times) noexcept {
  if (const http::HeaderField* date = response.find("date")) {
    if (const std::optional<std::int64_t> parsed = http::parse_http_date(date->value))
      return *parsed;
  }
  return times.response_time;
}

// §5.3: an invalid Expires (such as "0") is a time in the past; so are several Expires that
// disagree (§4.2.1 lets a cache take such a response as stale).
std::optional<Seconds> expires_value(const http::HeaderMap& response) noexcept {
  std::optional<Seconds> result;
  bool first = true;
  for (const http::HeaderField& field : response) {
    if (!http::iequals(field.name, "expires")) continue;
    const std::optional<std::int64_t> parsed = http::parse_http_date(field.value);
    if (!parsed || (!first && parsed != result)) return std::nullopt;
    result = parsed;
    first = false;
  }
  return result;
}

// §4.2.2: a fraction of the time since Last-Modified, at most options.max.
Seconds heuristic_lifetime(const http::HeaderMap& response, Seconds date,
                           const HeuristicOptions& options) noexcept {
  const http::HeaderField* field = response.find("last-modified");
  if (field == nullptr) return 0;
  const std::optional<std::int64_t> modified = http::parse_http_date(field->value);
  if (!modified || *modified >= date) return 0;
  if (!std::isfinite(options.fraction) || options.fraction <= 0 || options.max <= 0) return 0;
  const double lifetime = options.fraction * static_cast<double>(date - *modified);
  if (lifetime >= static_cast<double>(options.max)) return options.max;
  return static_cast<Seconds>(lifetime);
}

}  // namespace

Seconds freshness_lifetime(std::uint16_t status, const http::HeaderMap& response,
                           const CacheControl& response_cc, const FetchTimes& times,
                           const HeuristicOptions& heuristic) noexcept {
  if (response_cc.invalid_freshness) return 0;
  if (response_cc.s_maxage) return *response_cc.s_maxage;
  if (response_cc.max_age) return *response_cc.max_age;
  const Seconds date = date_value(response, times);
  if (response.has("expires")) {
    const std::optional<Seconds> expires = expires_value(response);
    return expires ? std::max<Seconds>(0, *expires - date) : 0;
  }
  // §4.2.2: only a heuristically cacheable status, or a response marked cacheable with public.
  if (!heuristically_cacheable(status) && !response_cc.is_public) return 0;
  return heuristic_lifetime(response, date, heuristic);
}

bool has_explicit_freshness(const http::HeaderMap& response,
                            const CacheControl& response_cc) noexcept {
  return response_cc.invalid_freshness || response_cc.s_maxage.has_value() ||
         response_cc.max_age.has_value() || response.has("expires");
}

Seconds current_age(const http::HeaderMap& response, const FetchTimes& times,
                    Seconds now) noexcept {
  // An invalid Age says nothing (§5.1 defines only delta-seconds).
  const Seconds age_value = parse_delta_seconds(http::trim_ows(response.get("age"))).value_or(0);
  // §4.2.3, with the differences of clocks that go backwards (a response_time before the
  // request_time, `now` before the response_time) taken as zero rather than negative.
  const Seconds apparent_age =
      std::max<Seconds>(0, times.response_time - date_value(response, times));
  const Seconds response_delay = std::max<Seconds>(0, times.response_time - times.request_time);
  const Seconds corrected_age_value = age_value + response_delay;
  const Seconds corrected_initial_age = std::max(apparent_age, corrected_age_value);
  const Seconds resident_time = std::max<Seconds>(0, now - times.response_time);
  return corrected_initial_age + resident_time;
}

}  // namespace bulwark::cache::policy
