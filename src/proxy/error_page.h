#pragma once
// The body of a local error response (DESIGN.md §6): JSON when the client asks for it, else a
// short HTML page; the status, a static explanation and the request id. Never anything that
// names a backend. Or the operator's own page for the status (config `error_pages`), which may
// also replace a backend's error response.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/arena.h"
#include "http/message.h"
#include "proxy/filter/context.h"

namespace bulwark::proxy {

struct ErrorPage {
  std::string body;
  std::string_view content_type;
};

// `accept` is the client's Accept header (may be empty).
ErrorPage render_error_page(std::uint16_t status, std::string_view detail,
                            std::string_view request_id, std::string_view accept);

// The configured page for `status` (config `error_pages`), or nullptr. Local replies use it instead
// of the rendered page; so do upstream responses of a status whose page intercepts them.
const config::ErrorPage* find_error_page(const config::Config& config,
                                         std::uint16_t status) noexcept;

// The fields of an upstream error response that a configured page keeps when it replaces the
// response: those that tell the client what to do next (WWW-Authenticate, Retry-After, Allow).
// The array lives in `arena`; the fields still point into `headers`.
std::span<const http::HeaderField> fields_kept_by_error_page(const http::HeaderMap& headers,
                                                             core::Arena& arena);

// nginx's proxy_intercept_errors: when the page of an upstream response's status has
// intercept_upstream, answers with it instead (ctx.respond) and returns true.
bool intercept_upstream_error(const config::Config& config, const http::ResponseHead& response,
                              Context& ctx);

}  // namespace bulwark::proxy
