#include "cache/policy/storability.h"

#include "http/header_map.h"

namespace bulwark::cache::policy {
namespace {

// Final status codes whose caching requirements this cache knows (RFC 9110 §15), and so may store
// even under must-understand (RFC 9111 §5.2.2.3). 206 (we keep only complete representations) and
// 304 (not a representation: it freshens a stored one, header_update.h) are left out.
bool understood(std::uint16_t status) noexcept {
  switch (status) {
    case 200:
    case 201:
    case 202:
    case 203:
    case 204:
    case 205:
    case 300:
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
    case 400:
    case 401:
    case 402:
    case 403:
    case 404:
    case 405:
    case 406:
    case 407:
    case 408:
    case 409:
    case 410:
    case 411:
    case 412:
    case 413:
    case 414:
    case 415:
    case 416:
    case 417:
    case 421:
    case 422:
    case 426:
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
    case 505:
      return true;
    default:
      return false;
  }
}

bool has_list_member(const http::HeaderMap& headers, std::string_view name,
                     std::string_view member) noexcept {
  for (const http::HeaderField& field : headers) {
    if (http::iequals(field.name, name) && http::has_token(field.value, member)) return true;
  }
  return false;
}

// §3.1: hop-by-hop fields (RFC 9110 §7.6.1).
bool never_stored(std::string_view name) noexcept {
  using http::iequals;
  return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "te") ||
         iequals(name, "trailer") || iequals(name, "transfer-encoding") ||
         iequals(name, "upgrade") || (name.size() >= 6 && iequals(name.substr(0, 6), "proxy-"));
}

}  // namespace

std::string_view describe(StoreDecision decision) noexcept {
  switch (decision) {
    case StoreDecision::kStore:
      return "stored";
    case StoreDecision::kMethod:
      return "method";
    case StoreDecision::kStatus:
      return "status";
    case StoreDecision::kNoStore:
      return "no-store";
    case StoreDecision::kPrivate:
      return "private";
    case StoreDecision::kAuthorization:
      return "authorization";
    case StoreDecision::kSetCookie:
      return "set-cookie";
    case StoreDecision::kVaryStar:
      return "vary-star";
    case StoreDecision::kNotCacheable:
      return "not-cacheable";
    case StoreDecision::kRangeOrPartial:
      return "range";
  }
  return "unknown";
}

bool heuristically_cacheable(std::uint16_t status) noexcept {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

StoreDecision decide_storable(const http::RequestHead& request, const CacheControl& request_cc,
                              const http::ResponseHead& response, const CacheControl& response_cc,
                              const StoreOptions& options) noexcept {
  // §3: "the request method is understood by the cache"; only GET is kept (HEAD is answered
  // from a GET's response).
  if (request.method != http::Method::kGet) return StoreDecision::kMethod;
  if (request.headers.has("range")) return StoreDecision::kRangeOrPartial;
  // §3: final, understood status (must-understand asks no more than that of a cache that
  // understands every status it stores).
  if (!understood(response.status)) return StoreDecision::kStatus;
  // §5.2.1.5 (request) and §5.2.2.5 (response); §5.2.2.3: a cache that understands the status
  // code ignores no-store next to must-understand.
  if (request_cc.no_store || (response_cc.no_store && !response_cc.must_understand))
    return StoreDecision::kNoStore;
  // §5.2.2.7: unqualified private forbids a shared cache; private="..." only the fields named.
  if (response_cc.is_private && response_cc.private_fields.empty()) return StoreDecision::kPrivate;
  // §3.5.
  if (request.headers.has("authorization") && !response_cc.is_public &&
      !response_cc.s_maxage.has_value() && !response_cc.must_revalidate)
    return StoreDecision::kAuthorization;
  if (!options.store_set_cookie && response.headers.has("set-cookie"))
    return StoreDecision::kSetCookie;
  // §4.1: a stored Vary: * never matches a later request.
  if (has_list_member(response.headers, "vary", "*")) return StoreDecision::kVaryStar;
  // §3: some explicit permission or freshness, or a heuristically cacheable status.
  const bool explicit_freshness = response_cc.is_public || response_cc.max_age.has_value() ||
                                  response_cc.s_maxage.has_value() ||
                                  response.headers.has("expires");
  if (!explicit_freshness && !heuristically_cacheable(response.status))
    return StoreDecision::kNotCacheable;
  return StoreDecision::kStore;
}

bool stored_field(std::string_view name, const http::HeaderMap& response,
                  const CacheControl& response_cc) noexcept {
  if (never_stored(name)) return false;
  if (has_list_member(response, "connection", name)) return false;
  return !(response_cc.is_private && http::has_token(response_cc.private_fields, name));
}

}  // namespace bulwark::cache::policy
