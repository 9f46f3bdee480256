#pragma once
// The HTTP/1.1 response-head parser (RFC 9112 §4, §6.3): the same strict, zero-copy, incremental
// rules as RequestParser, applied to what a backend sends.

#include <cstddef>
#include <string_view>

#include "core/error.h"
#include "http/h1/field_parser.h"
#include "http/h1/parser_limits.h"
#include "http/message.h"

namespace bulwark::http::h1 {

class ResponseParser {
 public:
  explicit ResponseParser(const ParserLimits& limits);

  // Same contract as RequestParser::parse for a status-line and fields. `request_was_head`
  // selects RFC 9112 §6.3 rule 1 (no body, whatever the fields say). Every error is
  // kUpstreamProtocol, since a response only ever comes from a backend; `detail` says what was
  // wrong.
  core::Result<std::size_t> parse(std::string_view data, ResponseHead& out, bool request_was_head);

  // Before the next message on the connection (also after a 1xx response).
  void reset() noexcept { scanner_.reset(); }

 private:
  detail::HeadScanner scanner_;
};

}  // namespace bulwark::http::h1
