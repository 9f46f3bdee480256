#include "http/fastcgi/record.h"

namespace bulwark::http::fastcgi {
namespace {

constexpr std::size_t kShortLengthLimit = 128;

std::uint8_t byte_at(std::string_view in, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(in[i]);
}

// One length of a pair at the front of `in`: its value and its size (0 while incomplete).
std::pair<std::size_t, std::size_t> decode_length(std::string_view in) noexcept {
  if (in.empty()) return {0, 0};
  if ((byte_at(in, 0) & 0x80U) == 0) return {byte_at(in, 0), 1};
  if (in.size() < 4) return {0, 0};
  const std::size_t value = (std::size_t{byte_at(in, 0) & 0x7FU} << 24U) |
                            (std::size_t{byte_at(in, 1)} << 16U) |
                            (std::size_t{byte_at(in, 2)} << 8U) | byte_at(in, 3);
  return {value, 4};
}

std::size_t encode_length(std::size_t length, char* out) noexcept {
  if (length < kShortLengthLimit) {
    out[0] = static_cast<char>(length);
    return 1;
  }
  out[0] = static_cast<char>(((length >> 24U) & 0x7FU) | 0x80U);
  out[1] = static_cast<char>((length >> 16U) & 0xFFU);
  out[2] = static_cast<char>((length >> 8U) & 0xFFU);
  out[3] = static_cast<char>(length & 0xFFU);
  return 4;
}

}  // namespace

void encode_header(const RecordHeader& header, std::span<char, kHeaderSize> out) noexcept {
  out[0] = static_cast<char>(kVersion);
  out[1] = static_cast<char>(header.type);
  out[2] = static_cast<char>(header.request_id >> 8U);
  out[3] = static_cast<char>(header.request_id & 0xFFU);
  out[4] = static_cast<char>(header.content_length >> 8U);
  out[5] = static_cast<char>(header.content_length & 0xFFU);
  out[6] = static_cast<char>(header.padding_length);
  out[7] = 0;
}

core::Result<RecordHeader> decode_header(std::span<const char, kHeaderSize> in) noexcept {
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(in[i]); };
  if (at(0) != kVersion) {
    return core::fail(core::ErrorKind::kUpstreamProtocol, "a FastCGI record has a wrong version");
  }
  return RecordHeader{
      .type = static_cast<RecordType>(at(1)),
      .request_id = static_cast<std::uint16_t>((at(2) << 8U) | at(3)),
      .content_length = static_cast<std::uint16_t>((at(4) << 8U) | at(5)),
      .padding_length = at(6),
  };
}

std::size_t encoded_pair_size(std::size_t name_size, std::size_t value_size) noexcept {
  const auto length_size = [](std::size_t n) { return n < kShortLengthLimit ? 1 : 4; };
  return length_size(name_size) + length_size(value_size) + name_size + value_size;
}

std::size_t encode_pair_lengths(std::size_t name_size, std::size_t value_size,
                                std::span<char, 8> out) noexcept {
  const std::size_t first = encode_length(name_size, out.data());
  return first + encode_length(value_size, out.data() + first);
}

DecodedPair decode_pair(std::string_view in) noexcept {
  const auto [name_size, first] = decode_length(in);
  if (first == 0) return {};
  const auto [value_size, second] = decode_length(in.substr(first));
  if (second == 0) return {};
  const std::size_t start = first + second;
  if (in.size() - start < name_size || in.size() - start - name_size < value_size) return {};
  return {.pair = {.name = in.substr(start, name_size),
                   .value = in.substr(start + name_size, value_size)},
          .consumed = start + name_size + value_size};
}

}  // namespace bulwark::http::fastcgi
