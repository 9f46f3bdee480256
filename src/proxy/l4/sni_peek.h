#pragma once
// Just enough of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3) to learn the server name a
// client asks for, without terminating TLS: a TLS passthrough listener routes on it and then
// forwards the very bytes it read. Strict about every length it crosses, since the bytes come
// from anyone; works on the bytes received so far.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::proxy {

// The ClientHello may span records; a client that needs more than this before its server name
// is known is refused (real ClientHellos, post-quantum key shares included, stay under 2 KiB).
inline constexpr std::size_t kMaxClientHelloBytes = std::size_t{16} * 1024;

struct SniPeek {
  enum class Status : std::uint8_t { kNeedMore, kError, kDone };
  Status status = Status::kNeedMore;
  std::string server_name;  // kDone: lower case; empty when the ClientHello names none
  std::string_view error;   // kError: why, a static string
};

// Parses the TLS records at the start of `bytes` up to the end of the ClientHello.
SniPeek peek_server_name(std::span<const char> bytes);

}  // namespace bulwark::proxy
