#include "proxy/grpc_reply.h"

#include <array>

namespace bulwark::proxy {
namespace {

// https://github.com/grpc/grpc/blob/master/doc/statuscodes.md
constexpr std::uint32_t kInternal = 13;
constexpr std::uint32_t kUnauthenticated = 16;
constexpr std::uint32_t kPermissionDenied = 7;
constexpr std::uint32_t kUnimplemented = 12;
constexpr std::uint32_t kUnavailable = 14;
constexpr std::uint32_t kDeadlineExceeded = 4;
constexpr std::uint32_t kResourceExhausted = 8;
constexpr std::uint32_t kUnknown = 2;

}  // namespace

bool is_grpc_request(const http::RequestHead& request) noexcept {
  const std::string_view type = request.headers.get("content-type");
  constexpr std::string_view kGrpc = "application/grpc";
  return type.size() >= kGrpc.size() && http::iequals(type.substr(0, kGrpc.size()), kGrpc) &&
         (type.size() == kGrpc.size() || type[kGrpc.size()] == '+' || type[kGrpc.size()] == ';');
}

std::uint32_t grpc_status_for(std::uint16_t http_status) noexcept {
  switch (http_status) {
    case 400:
      return kInternal;
    case 401:
      return kUnauthenticated;
    case 403:
      return kPermissionDenied;
    case 404:
    case 501:
      return kUnimplemented;
    case 408:
    case 504:
      return kDeadlineExceeded;  // bulwark's own timeouts: the call ran out of time
    case 413:
    case 431:
      return kResourceExhausted;
    case 429:
    case 502:
    case 503:
      return kUnavailable;
    default:
      return kUnknown;
  }
}

std::string grpc_message(std::string_view text) {
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7E && c != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace bulwark::proxy
