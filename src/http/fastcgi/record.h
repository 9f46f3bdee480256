#pragma once
// FastCGI 1.0 records (the FastCGI Specification, §3 and §8): the 8-byte record header, the
// name-value pairs of a PARAMS stream, and the constants bulwark uses as a client. bulwark runs
// one request per connection at a time, always with request id 1, and keeps the connection open
// (FCGI_KEEP_CONN) so that it can go back to the pool.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/error.h"

namespace bulwark::http::fastcgi {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxContent = 65535;
inline constexpr std::uint16_t kRequestId = 1;

enum class RecordType : std::uint8_t {
  kBeginRequest = 1,
  kAbortRequest = 2,
  kEndRequest = 3,
  kParams = 4,
  kStdin = 5,
  kStdout = 6,
  kStderr = 7,
  kData = 8,
  kGetValues = 9,
  kGetValuesResult = 10,
  kUnknownType = 11,
};

// FCGI_END_REQUEST's protocolStatus.
enum class ProtocolStatus : std::uint8_t {
  kRequestComplete = 0,
  kCantMpxConn = 1,
  kOverloaded = 2,
  kUnknownRole = 3,
};

inline constexpr std::uint16_t kRoleResponder = 1;
inline constexpr std::uint8_t kKeepConn = 1;

struct RecordHeader {
  RecordType type = RecordType::kStdout;
  std::uint16_t request_id = kRequestId;
  std::uint16_t content_length = 0;
  std::uint8_t padding_length = 0;
};

// The padding that brings `content` bytes to a multiple of 8, as the specification recommends.
constexpr std::uint8_t padding_for(std::size_t content) noexcept {
  return static_cast<std::uint8_t>((8 - content % 8) % 8);
}

// Zero bytes to point padding at.
inline constexpr std::string_view kZeroPadding{"\0\0\0\0\0\0\0", 7};

void encode_header(const RecordHeader& header, std::span<char, kHeaderSize> out) noexcept;
// kUpstreamProtocol when the version is not 1 (records only ever come from a backend).
core::Result<RecordHeader> decode_header(std::span<const char, kHeaderSize> in) noexcept;

// A name-value pair (§3.4): each length in one byte when below 128, else in four with the top
// bit set. Lengths above 2^31 - 1 cannot be encoded.
std::size_t encoded_pair_size(std::size_t name_size, std::size_t value_size) noexcept;
// The length prefix of a pair (2 to 8 bytes) written into `out`; returns its size.
std::size_t encode_pair_lengths(std::size_t name_size, std::size_t value_size,
                                std::span<char, 8> out) noexcept;

struct Pair {
  std::string_view name;
  std::string_view value;
};
// Reads one pair from the front of `in` (a PARAMS or GET_VALUES_RESULT stream) and returns it
// with the bytes it took; 0 bytes while `in` is incomplete. Views point into `in`.
struct DecodedPair {
  Pair pair;
  std::size_t consumed = 0;
};
DecodedPair decode_pair(std::string_view in) noexcept;

}  // namespace bulwark::http::fastcgi
