#include "router/query_string.h"

#include "http/hex_digit.h"

namespace bulwark::router {
namespace {

// Decodes the byte at `pos` and advances past what it consumed (1 or 3 bytes).
char decode_one(std::string_view encoded, std::size_t& pos) noexcept {
  const char c = encoded[pos];
  if (c == '+') {
    ++pos;
    return ' ';
  }
  if (c == '%' && encoded.size() - pos >= 3) {
    const int high = http::hex_digit_value(encoded[pos + 1]);
    const int low = http::hex_digit_value(encoded[pos + 2]);
    if (high >= 0 && low >= 0) {
      pos += 3;
      return static_cast<char>((high << 4) | low);
    }
  }
  ++pos;
  return c;
}

}  // namespace

bool QueryParams::next(QueryParam& out) noexcept {
  while (!rest_.empty()) {
    const std::size_t amp = rest_.find('&');
    const std::string_view piece = rest_.substr(0, amp);
    rest_ = amp == std::string_view::npos ? std::string_view{} : rest_.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    out.name = piece.substr(0, eq);
    out.value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    return true;
  }
  return false;
}

std::size_t percent_decode(std::string_view encoded, char* out) noexcept {
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < encoded.size();)
    out[length++] = decode_one(encoded, pos);
  return length;
}

bool decodes_to(std::string_view encoded, std::string_view plain) noexcept {
  std::size_t pos = 0;
  for (const char expected : plain) {
    if (pos == encoded.size() || decode_one(encoded, pos) != expected) return false;
  }
  return pos == encoded.size();
}

}  // namespace bulwark::router
