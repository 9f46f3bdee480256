#pragma once
// Invalidation (RFC 9111 §4.4): a non-error response to an unsafe request invalidates the stored
// responses of its target URI, and of the URIs in its Location and Content-Location fields when
// they have the same origin (the same host).

#include <cstddef>
#include <string_view>

#include "http/message.h"

namespace bulwark::cache::policy {

struct Invalidation {
  bool target = false;  // the request's own target
  // Origin-form paths (with query, without fragment) of the same origin: an absolute path as it
  // is, an absolute or scheme-relative URI of the same scheme and authority (default ports and
  // userinfo aside; the request's Host or absolute-form authority). Empty when absent, of another
  // origin, or a relative reference other than an absolute path (resolving it would need new
  // bytes; §4.4 allows these invalidations, it does not require them).
  std::string_view location;
  std::string_view content_location;
};

// Safe methods (GET, HEAD, OPTIONS, TRACE) and error responses (not 2xx or 3xx) invalidate nothing.
Invalidation invalidation_for(const http::RequestHead& request, std::string_view scheme,
                              const http::ResponseHead& response) noexcept;

}  // namespace bulwark::cache::policy
