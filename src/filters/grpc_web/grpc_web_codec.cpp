#include "filters/grpc_web/grpc_web_codec.h"

#include <algorithm>
#include <array>

namespace bulwark::filters::grpc_web {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xFF;
constexpr std::uint8_t kPad = 0xFE;

constexpr std::array<std::uint8_t, 256> make_values() {
  std::array<std::uint8_t, 256> values{};
  values.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  values['='] = kPad;
  return values;
}
constexpr std::array<std::uint8_t, 256> kValues = make_values();

// The name matches, and what follows it (if anything) starts the format or the parameters.
bool names(std::string_view value, std::string_view name) noexcept {
  return value.size() >= name.size() && http::iequals(value.substr(0, name.size()), name) &&
         (value.size() == name.size() || value[name.size()] == '+' || value[name.size()] == ';');
}

bool breaks_line(char c) noexcept {
  return c == '\r' || c == '\n' || c == '\0';
}

// The codecs already refuse such fields; the frame must not depend on it.
bool carries(const http::HeaderField& field) noexcept {
  const auto breaks_name = [](char c) { return breaks_line(c) || c == ':' || c == ' '; };
  return !field.name.empty() && std::ranges::none_of(field.name, breaks_name) &&
         std::ranges::none_of(field.value, breaks_line);
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::optional<ContentType> parse_content_type(std::string_view value) noexcept {
  // Longest name first: "application/grpc-web-text" also starts with the other two.
  for (const Wire wire : {Wire::kText, Wire::kWeb, Wire::kGrpc}) {
    const std::string_view name = wire_name(wire);
    if (names(value, name)) return ContentType{wire, value.substr(name.size())};
  }
  return std::nullopt;
}

std::string_view wire_name(Wire wire) noexcept {
  switch (wire) {
    case Wire::kWeb:
      return "application/grpc-web";
    case Wire::kText:
      return "application/grpc-web-text";
    case Wire::kGrpc:
      break;
  }
  return "application/grpc";
}

bool accepts_text(std::string_view accept) noexcept {
  for (std::size_t start = 0; start < accept.size();) {
    const std::size_t comma = std::min(accept.find(',', start), accept.size());
    std::string_view item = accept.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    const std::optional<ContentType> type = parse_content_type(item);
    if (type && type->wire == Wire::kText) return true;
    start = comma + 1;
  }
  return false;
}

std::optional<std::size_t> Base64Decoder::decode(std::string_view in, char* out) noexcept {
  if (failed_) return std::nullopt;
  std::size_t written = 0;
  for (const char c : in) {
    const std::uint8_t value = kValues[static_cast<unsigned char>(c)];
    // '=' only ends a quantum of which two or three characters are data ("xx==", "xxx="), and
    // nothing but '=' follows the first one.
    const bool bad =
        value == kInvalid || (value == kPad && count_ < 2) || (value != kPad && padding_ != 0);
    if (bad) {
      failed_ = true;
      return std::nullopt;
    }
    if (value == kPad) {
      ++padding_;
      bits_ <<= 6;
    } else {
      bits_ = (bits_ << 6) | value;
    }
    if (++count_ < 4) continue;
    // Canonical only (RFC 4648 §3.5): the bits a padded quantum drops must be zero, so that one
    // body has one text.
    const std::uint32_t dropped = padding_ == 0 ? 0U : padding_ == 1 ? 0xFFU : 0xFFFFU;
    if ((bits_ & dropped) != 0) {
      failed_ = true;
      return std::nullopt;
    }
    const std::array<char, 3> bytes{static_cast<char>(bits_ >> 16), static_cast<char>(bits_ >> 8),
                                    static_cast<char>(bits_)};
    const std::size_t size = 3U - padding_;
    std::copy_n(bytes.begin(), size, out + written);
    written += size;
    bits_ = 0;
    count_ = padding_ = 0;
  }
  return written;
}

std::size_t base64_encode(std::string_view in, char* out) noexcept {
  const auto byte = [&](std::size_t i) -> std::uint32_t {
    return i < in.size() ? static_cast<unsigned char>(in[i]) : 0U;
  };
  char* at = out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::uint32_t bits = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    const std::size_t present = std::min<std::size_t>(in.size() - i, 3);
    *at++ = kAlphabet[bits >> 18 & 0x3F];
    *at++ = kAlphabet[bits >> 12 & 0x3F];
    *at++ = present > 1 ? kAlphabet[bits >> 6 & 0x3F] : '=';
    *at++ = present > 2 ? kAlphabet[bits & 0x3F] : '=';
  }
  return static_cast<std::size_t>(at - out);
}

std::size_t trailer_frame_size(const http::HeaderMap& trailers) noexcept {
  std::size_t size = kFrameHeaderSize;
  for (const http::HeaderField& field : trailers) {
    if (carries(field)) size += field.name.size() + 2 + field.value.size() + 2;
  }
  return size;
}

std::size_t write_trailer_frame(const http::HeaderMap& trailers, char* out) noexcept {
  char* at = out + kFrameHeaderSize;
  for (const http::HeaderField& field : trailers) {
    if (!carries(field)) continue;
    at = std::ranges::transform(field.name, at, lower).out;
    *at++ = ':';
    *at++ = ' ';
    at = std::ranges::copy(field.value, at).out;
    *at++ = '\r';
    *at++ = '\n';
  }
  const auto length = static_cast<std::uint32_t>(at - out - kFrameHeaderSize);
  out[0] = static_cast<char>(kTrailerFlag);
  out[1] = static_cast<char>(length >> 24);
  out[2] = static_cast<char>(length >> 16);
  out[3] = static_cast<char>(length >> 8);
  out[4] = static_cast<char>(length);
  return static_cast<std::size_t>(at - out);
}

}  // namespace bulwark::filters::grpc_web
