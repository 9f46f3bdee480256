#include "http/h1/body_decoder.h"

#include <algorithm>
#include <cstring>

#include "http/hex_digit.h"

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;
using core::fail;

// Sizes at or above 2^63 are refused: no real body is that large, and peers that parse into a
// signed 64-bit integer would read them as negative.
constexpr std::uint64_t kMaxChunkSize = (std::uint64_t{1} << 63) - 1;
constexpr std::size_t kMaxChunkSizeDigits = 16;

std::size_t skip_ows(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && detail::is_ows(text[i])) {
    ++i;
  }
  return i;
}

std::size_t skip_token(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && detail::is_tchar(text[i])) {
    ++i;
  }
  return i;
}

// RFC 9110 §5.6.4 quoted-string starting at text[i] == '"'; the index after it, or npos.
std::size_t skip_quoted_string(std::string_view text, std::size_t i) noexcept {
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      ++i;  // quoted-pair: the escaped byte may be anything a field value may hold
      if (i == text.size() || !detail::is_field_value_char(text[i])) break;
    } else if (!detail::is_field_value_char(c)) {
      break;  // qdtext is field-vchar minus '"' and '\', so CR, LF and NUL end up here
    }
  }
  return std::string_view::npos;
}

// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
core::Result<void> check_chunk_extensions(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    i = skip_ows(text, i);
    if (i == text.size() || text[i] != ';') {
      return fail(ErrorKind::kBadRequest, "invalid character after chunk size");
    }
    i = skip_ows(text, i + 1);
    const std::size_t name_end = skip_token(text, i);
    if (name_end == i) return fail(ErrorKind::kBadRequest, "invalid chunk extension");
    i = skip_ows(text, name_end);
    if (i == text.size() || text[i] != '=') continue;
    i = skip_ows(text, i + 1);
    const std::size_t value_end =
        i < text.size() && text[i] == '"' ? skip_quoted_string(text, i) : skip_token(text, i);
    if (value_end == std::string_view::npos || value_end == i) {
      return fail(ErrorKind::kBadRequest, "invalid chunk extension");
    }
    i = value_end;
  }
  return {};
}

// chunk-size [ chunk-ext ], the line without its CRLF.
core::Result<std::uint64_t> parse_chunk_size_line(std::string_view line) noexcept {
  std::uint64_t size = 0;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    const int digit = hex_digit_value(line[i]);
    if (digit < 0) break;
    if (i == kMaxChunkSizeDigits) return fail(ErrorKind::kBadRequest, "chunk size too long");
    size = size * 16 + static_cast<std::uint64_t>(digit);
  }
  if (i == 0) return fail(ErrorKind::kBadRequest, "invalid chunk size");
  if (size > kMaxChunkSize) return fail(ErrorKind::kBadRequest, "chunk size too large");
  if (auto r = check_chunk_extensions(line.substr(i)); !r) return std::unexpected(r.error());
  return size;
}

}  // namespace

BodyDecoder::BodyDecoder(const ParserLimits& limits)
    : trailer_scanner_(limits, detail::HeadScanner::Shape::kFieldsOnly) {}

void BodyDecoder::start(BodyFraming framing, std::uint64_t content_length) noexcept {
  trailers_.clear();
  trailer_scanner_.reset();
  remaining_ = 0;
  body_bytes_ = 0;
  line_scanned_ = 0;
  switch (framing) {
    case BodyFraming::kNone:
      state_ = State::kDone;
      break;
    case BodyFraming::kContentLength:
      remaining_ = content_length;
      state_ = content_length == 0 ? State::kDone : State::kFixed;
      break;
    case BodyFraming::kChunked:
      state_ = State::kChunkSize;
      break;
    case BodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
}

void BodyDecoder::finish_at_eof() noexcept {
  if (state_ == State::kUntilClose) state_ = State::kDone;
}

core::Result<BodyDecoder::Step> BodyDecoder::decode(std::string_view in) {
  switch (state_) {
    case State::kDone:
      return Step{0, {}};
    case State::kUntilClose:
      body_bytes_ += in.size();
      return Step{in.size(), in};
    case State::kFixed: {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= n;
      body_bytes_ += n;
      if (remaining_ == 0) state_ = State::kDone;
      return Step{n, in.substr(0, n)};
    }
    default:
      return decode_chunked(in);
  }
}

core::Result<BodyDecoder::Step> BodyDecoder::decode_chunked(std::string_view in) {
  std::size_t pos = 0;
  while (true) {
    const std::string_view rest = in.substr(pos);
    switch (state_) {
      case State::kChunkSize: {
        auto used = read_chunk_size(rest);
        if (!used) return std::unexpected(used.error());
        if (*used == 0) return Step{pos, {}};
        pos += *used;
        break;
      }
      case State::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        if (n == 0) return Step{pos, {}};
        remaining_ -= n;
        body_bytes_ += n;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        return Step{pos + n, rest.substr(0, n)};
      }
      case State::kChunkDataEnd:
        if (rest.empty()) return Step{pos, {}};
        if (rest[0] != '\r' || (rest.size() > 1 && rest[1] != '\n')) {
          return fail(ErrorKind::kBadRequest, "missing CRLF after chunk data");
        }
        if (rest.size() == 1) return Step{pos, {}};
        pos += 2;
        state_ = State::kChunkSize;
        break;
      case State::kTrailers: {
        auto used = read_trailers(rest);
        if (!used) return std::unexpected(used.error());
        return Step{pos + *used, {}};
      }
      default:
        return Step{pos, {}};
    }
  }
}

core::Result<std::size_t> BodyDecoder::read_chunk_size(std::string_view in) {
  const void* lf = line_scanned_ < in.size()
                       ? std::memchr(in.data() + line_scanned_, '\n', in.size() - line_scanned_)
                       : nullptr;
  const std::size_t end = lf != nullptr
                              ? static_cast<std::size_t>(static_cast<const char*>(lf) - in.data())
                              : in.size();
  // Checked before the LF so the verdict does not depend on how the bytes were split.
  if (end > kMaxChunkLine) return fail(ErrorKind::kBadRequest, "chunk-size line too long");
  if (lf == nullptr) {
    line_scanned_ = in.size();
    return 0;
  }
  line_scanned_ = 0;
  if (end == 0 || in[end - 1] != '\r') {
    return fail(ErrorKind::kBadRequest, "bare LF in chunk-size line");
  }
  auto size = parse_chunk_size_line(in.substr(0, end - 1));
  if (!size) return std::unexpected(size.error());
  if (*size == 0) {
    state_ = State::kTrailers;
  } else {
    remaining_ = *size;
    state_ = State::kChunkData;
  }
  return end + 1;
}

core::Result<std::size_t> BodyDecoder::read_trailers(std::string_view in) {
  auto length = trailer_scanner_.scan(in);
  if (!length || *length == 0) return length;
  trailers_.clear();
  if (auto r = detail::parse_field_section(trailer_scanner_.field_lines(in), trailers_); !r) {
    return std::unexpected(r.error());
  }
  state_ = State::kDone;
  return length;
}

}  // namespace bulwark::http::h1
