#pragma once
// The HTTP/1.1 request-head parser (RFC 9112 §2-§3, §6; DESIGN.md §5): strict, zero-copy and
// incremental. It rejects every message that two conforming peers could frame differently, so
// what bulwark forwards is exactly what it understood.

#include <cstddef>
#include <string_view>

#include "core/error.h"
#include "http/h1/field_parser.h"
#include "http/h1/parser_limits.h"
#include "http/message.h"

namespace bulwark::http::h1 {

class RequestParser {
 public:
  explicit RequestParser(const ParserLimits& limits);

  // `data` holds every byte of this message received so far, from its first byte (empty lines
  // before the request-line are skipped, RFC 9112 §2.2). Returns 0 while the head is incomplete
  // (call again with the longer data; scanning resumes where it stopped), else the bytes the head
  // occupies including the final empty line; `out` then holds views into `data`.
  // Errors: kUriTooLong (request line over max_request_line, as soon as that many bytes without
  // CRLF are seen), kHeadersTooLarge (head over max_header_bytes even if incomplete, or more than
  // max_header_count fields), kBadRequest with a precise static detail for everything else.
  // For an absolute-form target the Host field is set to the target's authority (RFC 9112
  // §3.2.2), so the head is consistent for whoever forwards it in origin-form.
  core::Result<std::size_t> parse(std::string_view data, RequestHead& out);

  // Before the next message on the connection.
  void reset() noexcept { scanner_.reset(); }

 private:
  detail::HeadScanner scanner_;
};

}  // namespace bulwark::http::h1
