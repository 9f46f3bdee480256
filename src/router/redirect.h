#pragma once
// Where a redirect route sends the client: the Location of its response, built from the
// request's own scheme, host, port, path and query with the configured parts replaced.

#include <string>
#include <string_view>

#include "config/config.h"
#include "router/path_rewriter.h"

namespace bulwark::router {

struct RedirectRequest {
  std::string_view scheme;  // "http" or "https", as the client connected
  std::string_view host;    // the Host the client sent, with its port if it gave one
  std::string_view target;  // origin-form path with the query
};

// An absolute URL. `prefix` is the route's prefix rewrite, or nullptr.
[[nodiscard]] std::string redirect_location(const config::RedirectAction& action,
                                            const PathRewriter* prefix,
                                            const RedirectRequest& request);

}  // namespace bulwark::router
