#pragma once
// Internal to the HTTP/1.1 codec: the grammar that the request parser, the response parser and
// the chunked-trailer decoder share (RFC 9112 §2-§6, RFC 9110 §5). Keeping it in one place means a
// request head, a response head and a trailer section can never disagree about what a valid field
// line is, which is what request smuggling feeds on.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "http/h1/parser_limits.h"
#include "http/header_map.h"

namespace bulwark::http::h1::detail {

// RFC 9110 §5.6.2 tchar: the bytes of a method, field name or transfer-coding.
bool is_tchar(char c) noexcept;
// RFC 9110 §5.5 field-vchar, SP and HTAB: every byte a field value or reason phrase may hold.
bool is_field_value_char(char c) noexcept;

// Finds where a head ends: empty lines (only before a start line, RFC 9112 §2.2), the start line,
// field lines, and the empty line that closes them. Only CRLF ends a line; a bare LF is an error.
// Call again with longer data after a 0; the scan resumes where it stopped, so total work stays
// linear. Limits fire at the same byte whether the data arrives at once or byte by byte, so a
// message gets the same verdict however the network splits it.
class HeadScanner {
 public:
  enum class Shape : std::uint8_t {
    kStartLineAndFields,  // a request or response head
    kFieldsOnly,          // a trailer section: may be just the closing empty line
  };

  HeadScanner(const ParserLimits& limits, Shape shape) noexcept : limits_(limits), shape_(shape) {}

  // 0 while incomplete, else the bytes the head occupies, including the closing empty line.
  // Errors: kUriTooLong (start line over max_request_line), kHeadersTooLarge (over
  // max_header_bytes or max_header_count), kBadRequest (bare LF).
  core::Result<std::size_t> scan(std::string_view data) noexcept;

  // Valid after scan() returned a length, with the same data: the start line without its CRLF,
  // and the field lines, each ending in CRLF, without the closing empty line.
  [[nodiscard]] std::string_view start_line(std::string_view data) const noexcept;
  [[nodiscard]] std::string_view field_lines(std::string_view data) const noexcept;

  void reset() noexcept;

 private:
  [[nodiscard]] bool in_start_line() const noexcept {
    return shape_ == Shape::kStartLineAndFields && start_line_end_ == kNone;
  }
  // The limits a byte-by-byte caller would have hit on data[0, end), which holds no new LF.
  core::Result<void> check_unterminated(std::string_view data, std::size_t end) const noexcept;

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  ParserLimits limits_;
  Shape shape_;
  std::size_t pos_ = 0;         // next byte to search for LF
  std::size_t line_start_ = 0;  // first byte of the line being scanned
  std::size_t start_line_begin_ = 0;
  std::size_t start_line_end_ = kNone;  // index of the start line's CR
  std::size_t fields_begin_ = 0;
  std::size_t field_count_ = 0;
  std::size_t head_length_ = 0;  // set once the closing empty line is found
};

// Parses field lines (each "name: value" ending in CRLF, as HeadScanner::field_lines returns them)
// into `out`, with values trimmed of OWS. Rejects obs-fold, whitespace before the colon, empty or
// non-token names, control bytes other than HTAB in values, and bare CR. kBadRequest on error.
core::Result<void> parse_field_section(std::string_view lines, HeaderMap& out);

// "HTTP/1.0" or "HTTP/1.1" -> the minor version; other versions and other text -> kBadRequest.
core::Result<std::uint8_t> parse_http_version(std::string_view text) noexcept;

// The value every Content-Length field (and every element of a comma list in one) agrees on.
struct ContentLength {
  bool present = false;
  std::uint64_t value = 0;
};
// kBadRequest when a value is not 1*DIGIT, overflows, or the values differ.
core::Result<ContentLength> parse_content_length(const HeaderMap& headers) noexcept;

// What the Transfer-Encoding fields say about framing (RFC 9112 §6.1).
enum class TransferCoding : std::uint8_t {
  kAbsent,       // no Transfer-Encoding field
  kChunked,      // chunked is the final coding
  kChunkedOnly,  // one field whose value is exactly "chunked": the only form requests may use
  kNotChunked,   // codings without chunked: the body runs until close (responses only)
};
// kBadRequest when a coding is not a token, chunked is not the final coding, or it appears twice.
core::Result<TransferCoding> parse_transfer_encoding(const HeaderMap& headers) noexcept;

// True when any Connection field lists `option` (case-insensitive), e.g. "close".
bool connection_has(const HeaderMap& headers, std::string_view option) noexcept;
// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
bool wants_keep_alive(const HeaderMap& headers, std::uint8_t version_minor) noexcept;

// A Host value or authority (RFC 3986 §3.2.2 reg-name, IP-literal, IPv4, optional ":port"):
// only unreserved, pct-encoded, sub-delims, ':' and brackets. No userinfo ("@"), no "/" or
// whitespace, which are how host-confusion attacks start. Empty is valid (RFC 9112 §3.2).
bool is_valid_host(std::string_view host) noexcept;

// RFC 9110 §5.6.3: SP and HTAB.
constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}
std::string_view trim_ows(std::string_view text) noexcept;

}  // namespace bulwark::http::h1::detail
