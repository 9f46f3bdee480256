#pragma once
// Bounds on what the HTTP/1.1 parsers accept before they stop reading (DESIGN.md §5): a peer
// must not make bulwark buffer or scan without end.

#include <cstddef>

namespace bulwark::http::h1 {

struct ParserLimits {
  // Longest request line (or status line) without its CRLF; longer is 414 URI Too Long.
  std::size_t max_request_line = std::size_t{8} * 1024;
  // Longest head (leading empty lines, start line, fields and the final empty line); longer is
  // 431. Also bounds a chunked body's trailer section.
  std::size_t max_header_bytes = std::size_t{32} * 1024;
  // Most field lines in a head or trailer section; more is 431.
  std::size_t max_header_count = 100;
};

}  // namespace bulwark::http::h1
