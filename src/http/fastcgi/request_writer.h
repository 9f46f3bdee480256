#pragma once
// Writes the start of a FastCGI request into a caller's buffer: BEGIN_REQUEST (role RESPONDER,
// FCGI_KEEP_CONN) and the PARAMS stream, cut into records of at most 65535 bytes and closed by
// an empty PARAMS record. The request body follows as STDIN records (stdin_header), ended by an
// empty one (kStdinEnd).

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string_view>

#include "http/fastcgi/record.h"

namespace bulwark::http::fastcgi {

// The empty STDIN record that ends the request body.
inline constexpr std::string_view kStdinEnd{"\x01\x05\x00\x01\x00\x00\x00\x00", kHeaderSize};

// The header of a STDIN record carrying `size` bytes (at most kMaxContent) and
// padding_for(size) bytes of padding.
void stdin_header(std::size_t size, std::span<char, kHeaderSize> out) noexcept;

class RequestWriter {
 public:
  // Writes BEGIN_REQUEST at the start of `out`.
  explicit RequestWriter(std::span<char> out) noexcept;

  // One parameter; its value may come in pieces (a root and a path), written one after another.
  void param(std::string_view name, std::initializer_list<std::string_view> value) noexcept;
  void param(std::string_view name, std::string_view value) noexcept { param(name, {value}); }
  // A request header field as a CGI meta-variable: "HTTP_" + the name in upper case with '-' as
  // '_' (RFC 3875 §4.1.18), its value written in pieces by value_bytes() after this call.
  void header_param(std::string_view field_name, std::size_t value_size) noexcept;
  // Part of the value of the parameter being written; the pieces add up to the size given.
  void value_bytes(std::string_view bytes) noexcept { append(bytes, Case::kAsIs); }

  // Ends the PARAMS stream, then (`end_stdin`, for a request without a body) the STDIN stream.
  // Returns the bytes written, or 0 when they did not fit in `out`.
  std::size_t finish(bool end_stdin) noexcept;

 private:
  enum class Case : std::uint8_t { kAsIs, kHeaderName };
  void append(std::string_view bytes, Case letter_case) noexcept;
  void close_record() noexcept;
  void write_record_header(std::size_t at, RecordType type, std::size_t content) noexcept;

  // Room kept for closing the last record (padding) and the two empty records after it.
  static constexpr std::size_t kTail = 7 + 2 * kHeaderSize;

  std::span<char> out_;
  std::size_t pos_ = 0;
  std::size_t record_start_ = 0;  // the open PARAMS record's header
  std::size_t content_ = 0;       // bytes in the open record; 0: none is open
  bool overflow_ = false;
};

}  // namespace bulwark::http::fastcgi
