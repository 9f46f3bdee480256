#pragma once
// The gRPC-Web wire format (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md) as pure
// functions: its content types, the base64 text encoding of -text bodies, and the trailer frame
// that carries grpc-status in the response body. The filter (grpc_web_filter.h) applies them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/header_map.h"

namespace bulwark::filters::grpc_web {

// A Content-Type of the gRPC family split at its protocol name:
// "application/grpc-web-text+proto; x=y" is {kText, "+proto; x=y"}.
enum class Wire : std::uint8_t {
  kGrpc,  // application/grpc: what the backend speaks
  kWeb,   // application/grpc-web: binary frames, trailers in the body
  kText,  // application/grpc-web-text: the same frames in base64
};

struct ContentType {
  Wire wire = Wire::kGrpc;
  std::string_view rest;  // the message format and parameters after the name, as written

  bool operator==(const ContentType&) const = default;
};

// nullopt for anything but application/grpc, application/grpc-web or application/grpc-web-text,
// each alone or followed by "+format" or parameters (";"). Names compare case-insensitively.
[[nodiscard]] std::optional<ContentType> parse_content_type(std::string_view value) noexcept;
// "application/grpc", "application/grpc-web" or "application/grpc-web-text".
[[nodiscard]] std::string_view wire_name(Wire wire) noexcept;
// Whether an Accept field asks for a text-encoded response (XHR clients, PROTOCOL-WEB.md).
[[nodiscard]] bool accepts_text(std::string_view accept) noexcept;

// Base64 (RFC 4648 §4, with padding) of a body that arrives in runs split anywhere. gRPC-Web
// senders flush whole quanta, so padding may appear between messages, not only at the end.
class Base64Decoder {
 public:
  // The most bytes decode() writes for `in_size` characters.
  [[nodiscard]] static constexpr std::size_t max_output(std::size_t in_size) noexcept {
    return (in_size / 4 + 1) * 3;
  }
  // Decodes `in` into `out` (at least max_output(in.size()) bytes); returns the number of bytes
  // written, or nullopt when `in` is not canonical base64 (the decoder is then unusable).
  [[nodiscard]] std::optional<std::size_t> decode(std::string_view in, char* out) noexcept;
  // True when no quantum is open: the text seen so far is complete base64.
  [[nodiscard]] bool at_boundary() const noexcept { return count_ == 0 && !failed_; }

 private:
  std::uint32_t bits_ = 0;
  std::uint8_t count_ = 0;    // characters of the open quantum (0 to 3)
  std::uint8_t padding_ = 0;  // '=' in the open quantum
  bool failed_ = false;
};

// The base64 of `in`, padded, so each run a client receives decodes on its own: a message is
// never held back waiting for the bytes that would complete a quantum.
[[nodiscard]] constexpr std::size_t base64_size(std::size_t in_size) noexcept {
  return (in_size + 2) / 3 * 4;
}
// Writes base64_size(in.size()) characters to `out`; returns that size.
std::size_t base64_encode(std::string_view in, char* out) noexcept;

// The trailer frame: flag byte 0x80, a 4-byte big-endian length, then "name: value\r\n" per
// field with lower-case names. Fields that would break a line (CR, LF or NUL anywhere, a colon or
// space in the name, an empty name) are left out rather than corrupting the frame.
[[nodiscard]] std::size_t trailer_frame_size(const http::HeaderMap& trailers) noexcept;
// Writes trailer_frame_size(trailers) bytes to `out`; returns that size.
std::size_t write_trailer_frame(const http::HeaderMap& trailers, char* out) noexcept;

inline constexpr std::uint8_t kTrailerFlag = 0x80;
inline constexpr std::size_t kFrameHeaderSize = 5;

}  // namespace bulwark::filters::grpc_web
