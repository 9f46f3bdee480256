#pragma once
// Rewrites response header values that point at a backend so that they point at the public site
// instead, as nginx's proxy_redirect (default) and proxy_cookie_domain do: an absolute URL whose
// authority is a backend (http://10.0.0.5:8080/x) becomes the client's scheme and Host with the
// same path (https://www.example.com/x), and a cookie's Domain naming a backend becomes the public
// host. Values that do not name a backend are left alone: a backend's redirect to the public site
// itself (http to https, say) must not be turned into a loop.
//
// Security posture: robust to untrusted upstream (malformed values are left unchanged, never
// misparsed into something else).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"

namespace bulwark::filters {

// A name a backend may be known by: an endpoint address or a Host sent upstream.
struct BackendName {
  std::string host;        // any case; IPv6 without brackets
  std::uint16_t port = 0;  // 0: any port
};

// Where the client thinks it is.
struct PublicSite {
  std::string_view scheme;  // "http" or "https"
  std::string_view host;    // the client's Host as sent (may carry a port); empty when unknown
  // A route's prefix_rewrite, reversed for the response (nginx's proxy_redirect default and
  // proxy_cookie_path): a backend path under `upstream_prefix` is shown under `public_prefix`.
  // Both empty when the route rewrites no prefix.
  std::string_view public_prefix;
  std::string_view upstream_prefix;
  [[nodiscard]] bool maps_paths() const noexcept { return !public_prefix.empty(); }
};

class BackendRewriter {
 public:
  explicit BackendRewriter(std::vector<BackendName> backends) : backends_(std::move(backends)) {}

  // True when `host` (any case; IPv6 with or without brackets) and `port` name a backend; port 0
  // matches any port (cookies do not care about ports).
  [[nodiscard]] bool names_backend(std::string_view host, std::uint16_t port) const noexcept;

  // Location and Content-Location: an absolute (or scheme-relative) URL to a backend. Without a
  // public host the result is the bare path, which RFC 9110 §10.2.2 allows. With a path mapping,
  // the path of such a URL, or an absolute path on its own ("/login"), is mapped too.
  // nullopt when the value is left as it is; the new value lives in `arena`.
  [[nodiscard]] std::optional<std::string_view> rewrite_url(std::string_view url, PublicSite site,
                                                            core::Arena& arena) const;
  // Refresh: "5; url=http://10.0.0.5:8080/x" (url= optional, the URL possibly quoted).
  [[nodiscard]] std::optional<std::string_view> rewrite_refresh(std::string_view value,
                                                                PublicSite site,
                                                                core::Arena& arena) const;
  // Set-Cookie: a Domain attribute naming a backend becomes the public host's name; when that is
  // unknown or an IP address the attribute goes, which keeps the cookie to the exact public host.
  // With a path mapping, a Path attribute under the upstream prefix is mapped.
  [[nodiscard]] std::optional<std::string_view> rewrite_set_cookie(std::string_view value,
                                                                   PublicSite site,
                                                                   core::Arena& arena) const;

 private:
  std::vector<BackendName> backends_;
};

}  // namespace bulwark::filters
