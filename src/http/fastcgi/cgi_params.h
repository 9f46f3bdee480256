#pragma once
// The CGI meta-variables of a request (RFC 3875 §4.1), as PHP-FPM and other FastCGI responders
// expect them, written as FastCGI PARAMS. The script is the request path below `root`:
// "/app/x.php/more" runs root + "/app/x.php" with PATH_INFO "/more" (nginx's
// fastcgi_split_path_info convention), and a path ending in '/' runs its `index`. Every request
// field becomes HTTP_<NAME> except Proxy (httpoxy, CVE-2016-5385), fields whose names hold '_'
// (they would alias the '-' spelling, as nginx's underscores_in_headers guards against), and
// Content-Type and Content-Length, which have their own variables. Repeated fields are joined
// with ", " ("; " for Cookie). The configured extra parameters come last, so they override.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "http/fastcgi/request_writer.h"
#include "http/message.h"

namespace bulwark::http::fastcgi {

struct CgiContext {
  std::string_view root;   // DOCUMENT_ROOT
  std::string_view index;  // for paths that end in '/'
  std::span<const std::pair<std::string, std::string>> extra_params;
  std::string_view remote_address;
  std::uint16_t remote_port = 0;
  std::string_view server_address;  // empty when unknown
  std::uint16_t server_port = 0;    // 0 when unknown
  std::string_view scheme = "http";
};

// Writes the parameters of `request` to `out`. `scratch` holds the decoded path when the request
// path has escapes. kBadRequest when the decoded path holds NUL or a "." or ".." segment (an
// escaped "/" spelling a traversal the path normaliser could not see).
core::Result<void> write_cgi_params(const RequestHead& request, const CgiContext& context,
                                    RequestWriter& out, std::string& scratch);

}  // namespace bulwark::http::fastcgi
