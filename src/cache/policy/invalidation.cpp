#include "cache/policy/invalidation.h"

#include <cstdint>

namespace bulwark::cache::policy {
namespace {

bool safe(http::Method method) noexcept {
  switch (method) {
    case http::Method::kGet:
    case http::Method::kHead:
    case http::Method::kOptions:
    case http::Method::kTrace:
      return true;
    default:
      return false;  // unknown methods count as unsafe (§4.4)
  }
}

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The scheme of an absolute URI (RFC 3986 §3.1), or empty for a relative reference.
std::string_view scheme_of(std::string_view uri) noexcept {
  if (uri.empty() || !is_alpha(uri[0])) return {};
  for (std::size_t i = 1; i < uri.size(); ++i) {
    const char c = uri[i];
    if (c == ':') return uri.substr(0, i);
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

// host[:port] without userinfo and without the scheme's default port, for comparison.
std::string_view comparable_authority(std::string_view authority,
                                      std::string_view scheme) noexcept {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  const std::string_view default_port = http::iequals(scheme, "https")  ? ":443"
                                        : http::iequals(scheme, "http") ? ":80"
                                                                        : std::string_view{};
  if (!default_port.empty() && authority.ends_with(default_port))
    authority.remove_suffix(default_port.size());
  return authority;
}

// The origin-form path of `reference` (Location or Content-Location) when it names a resource of
// the request's origin: an absolute path as it is; an absolute or scheme-relative URI of the same
// scheme and authority, its path. Other relative references would need resolving into new bytes
// and are left alone (§4.4 only allows, never requires, these invalidations).
std::string_view same_origin_path(std::string_view reference, std::string_view host,
                                  std::string_view scheme) noexcept {
  reference = http::trim_ows(reference);
  reference = reference.substr(0, reference.find('#'));
  std::string_view reference_scheme = scheme_of(reference);
  if (!reference_scheme.empty()) {
    if (!http::iequals(reference_scheme, scheme)) return {};
    reference.remove_prefix(reference_scheme.size() + 1);
    if (!reference.starts_with("//")) return {};
  } else {
    reference_scheme = scheme;
  }
  if (reference.starts_with("//")) {
    reference.remove_prefix(2);
    const std::size_t end = reference.find_first_of("/?");
    const std::string_view authority = reference.substr(0, end);
    if (host.empty() || !http::iequals(comparable_authority(authority, reference_scheme),
                                       comparable_authority(host, scheme)))
      return {};
    if (end == std::string_view::npos) return "/";
    reference.remove_prefix(end);
    // "http://h?q" has an empty path; its origin form is "/?q", which is not a view of the
    // reference: the query alone is left alone as well.
    if (reference.front() == '?') return {};
    return reference;
  }
  return reference.starts_with('/') ? reference : std::string_view{};
}

}  // namespace

Invalidation invalidation_for(const http::RequestHead& request, std::string_view scheme,
                              const http::ResponseHead& response) noexcept {
  // §4.4: "non-error status code" is 2xx or 3xx.
  if (safe(request.method) || response.status < 200 || response.status >= 400) return {};
  const std::string_view host = request.host();
  return {
      .target = true,
      .location = same_origin_path(response.headers.get("location"), host, scheme),
      .content_location = same_origin_path(response.headers.get("content-location"), host, scheme),
  };
}

}  // namespace bulwark::cache::policy
