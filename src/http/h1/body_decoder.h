#pragma once
// Removes the framing of an HTTP/1.1 body (RFC 9112 §6-§7): Content-Length, chunked with
// extensions and trailers, or until close. Zero-copy: the data it returns are views into the
// caller's bytes, so a proxy can forward them without copying.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "http/h1/field_parser.h"
#include "http/h1/parser_limits.h"
#include "http/header_map.h"
#include "http/message.h"

namespace bulwark::http::h1 {

class BodyDecoder {
 public:
  // Most bytes before the LF of a chunk-size line (size, extensions and CR). Extensions are almost
  // never used, and an unbounded line would make the caller buffer without end.
  static constexpr std::size_t kMaxChunkLine = 4096;

  // The trailer section is bounded by max_header_bytes and max_header_count.
  explicit BodyDecoder(const ParserLimits& limits);

  void start(BodyFraming framing, std::uint64_t content_length) noexcept;

  struct Step {
    std::size_t consumed;   // bytes of `in` the caller removes
    std::string_view data;  // body data inside those bytes (a view into `in`)
  };
  // Consumes framing from `in` and returns the next run of body data, possibly empty when `in`
  // holds only framing or is incomplete. Call repeatedly, removing `consumed` bytes each time.
  // consumed == 0 with empty data means "need more bytes": a partial chunk-size line or trailer
  // section must stay contiguous, so the caller keeps those bytes and appends. kUntilClose: all
  // of `in` is data and done() becomes true only via finish_at_eof(). Errors: kBadRequest for
  // malformed chunk framing or trailers, kHeadersTooLarge for an oversized trailer section.
  core::Result<Step> decode(std::string_view in);

  [[nodiscard]] bool done() const noexcept { return state_ == State::kDone; }

  // kUntilClose: the connection closed, so the body is complete. For other framings an EOF
  // before done() is an error, which the caller reports itself.
  void finish_at_eof() noexcept;

  // Trailer fields of a chunked body, valid once done() and while the bytes of the last
  // decode() call live.
  [[nodiscard]] const HeaderMap& trailers() const noexcept { return trailers_; }
  // Data bytes delivered so far.
  [[nodiscard]] std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  enum class State : std::uint8_t {
    kDone,
    kFixed,         // Content-Length: remaining_ bytes to go
    kUntilClose,    // everything until the connection closes
    kChunkSize,     // at a chunk-size line
    kChunkData,     // inside a chunk: remaining_ bytes to go
    kChunkDataEnd,  // at the CRLF after a chunk's data
    kTrailers,      // after the last chunk, at the trailer section
  };

  core::Result<Step> decode_chunked(std::string_view in);
  // Bytes of the chunk-size line consumed (0 while incomplete); moves to the next state.
  core::Result<std::size_t> read_chunk_size(std::string_view in);
  core::Result<std::size_t> read_trailers(std::string_view in);

  detail::HeadScanner trailer_scanner_;
  HeaderMap trailers_;
  State state_ = State::kDone;
  std::uint64_t remaining_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::size_t line_scanned_ = 0;  // bytes of a partial chunk-size line already searched for LF
};

}  // namespace bulwark::http::h1
