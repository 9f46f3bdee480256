#pragma once
// Writes HTTP/1.1 heads and chunk framing into caller-provided buffers. Framing and persistence
// fields are never copied from a head's field list but derived from its framing, content_length
// and keep_alive, so what bulwark sends always agrees with how it frames the body.

#include <cstddef>
#include <span>
#include <string_view>

#include "http/header_map.h"
#include "http/message.h"

namespace bulwark::http::h1 {

// Each writer returns the bytes written into `out`, or 0 when they do not fit.
//
// Requests: "METHOD SP path SP HTTP/1.1" (always HTTP/1.1 upstream; head.path, which is the
// origin-form path for absolute-form targets), then the fields of head.headers as
// "name: value\r\n" except Content-Length, Transfer-Encoding and Connection, which come from
// head.framing (kContentLength -> "Content-Length: N", kChunked -> "Transfer-Encoding: chunked",
// otherwise nothing: a request without body framing carries none) and head.keep_alive
// ("Connection: close" when false). An upgrade request gets "Connection: upgrade".
std::size_t write_request_head(const RequestHead& head, std::span<char> out) noexcept;

// Responses: "HTTP/1.1 SP status SP reason" with head.reason or reason_phrase(status), then the
// fields as for requests, framing from head.framing (kNone passes a Content-Length of
// head.headers through, as HEAD and 304 responses keep it; kUntilClose writes nothing), and
// Connection from head.keep_alive: for version_minor 1 "close" when false, for version_minor 0
// (an HTTP/1.0 client) "keep-alive" when true. A 101 response gets "Connection: upgrade".
std::size_t write_response_head(const ResponseHead& head, std::span<char> out) noexcept;

// "<hex size>\r\n", a view into `out`.
std::string_view write_chunk_header(std::size_t size, std::span<char, 18> out) noexcept;

inline constexpr std::string_view kCrlf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// "0\r\n" + trailer fields + "\r\n"; 0 when it does not fit.
std::size_t write_last_chunk_with_trailers(const HeaderMap& trailers, std::span<char> out) noexcept;

}  // namespace bulwark::http::h1
