#pragma once
// The CGI response head a FastCGI responder writes at the start of STDOUT (RFC 3875 §6): header
// fields, one per line, then an empty line. Lines end in LF with an optional CR before it (CGI
// allows both). The same field grammar and limits as bulwark's HTTP/1.1 parser otherwise: no
// obs-fold, token names, no whitespace before the colon, no control bytes in values.
//
// Status gives the status ("Status: 404 Not Found"); a Location without Status is a redirect,
// answered as 302 (RFC 3875 §6.2.3-§6.2.4: a local path is a local redirect, which a proxy may
// leave to the client); otherwise 200. Status itself and the fields about the client connection
// (Connection, Keep-Alive, Transfer-Encoding: §6.3.4 keeps them from scripts) are removed. A
// Content-Length frames the body; without it the body runs until END_REQUEST (kUntilClose).

#include <cstddef>
#include <string_view>

#include "core/error.h"
#include "http/h1/parser_limits.h"
#include "http/message.h"

namespace bulwark::http::fastcgi {

class CgiHeadParser {
 public:
  explicit CgiHeadParser(const h1::ParserLimits& limits) : limits_(limits) {}

  // 0 while the head is incomplete (call again with the same bytes and more after them), else
  // the bytes the head takes, empty line included; `out` then holds views into `data`. Errors are
  // kUpstreamProtocol.
  core::Result<std::size_t> parse(std::string_view data, ResponseHead& out, bool request_was_head);

  void reset() noexcept {
    scanned_ = 0;
    line_start_ = 0;
    lines_ = 0;
  }

 private:
  core::Result<void> parse_fields(std::string_view head, ResponseHead& out,
                                  bool request_was_head) const;

  h1::ParserLimits limits_;
  std::size_t scanned_ = 0;     // bytes searched for the end of the head so far
  std::size_t line_start_ = 0;  // where the line being scanned starts
  std::size_t lines_ = 0;       // field lines seen so far
};

}  // namespace bulwark::http::fastcgi
