#pragma once
// The body of a local error response (DESIGN.md §6): JSON when the client asks for it, else a
// short HTML page; the status, a static explanation and the request id. Never anything that
// names a backend.

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::proxy {

struct ErrorPage {
  std::string body;
  std::string_view content_type;
};

// `accept` is the client's Accept header (may be empty).
ErrorPage render_error_page(std::uint16_t status, std::string_view detail,
                            std::string_view request_id, std::string_view accept);

}  // namespace bulwark::proxy
