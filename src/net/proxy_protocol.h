#pragma once
// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the header a load balancer
// in front of bulwark sends first on a connection to say whom the connection is really from, and
// the header bulwark sends to its own backends.
//
// The parser is strict and works on the bytes received so far: it says as early as it can that
// they cannot start a valid header (so that a trusted peer that sends garbage is dropped at once)
// and never looks past the header's end, so the caller can take exactly the header off the
// socket and leave what follows (a request, a ClientHello) where it is.

#include <array>
#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace bulwark::net {

enum class ProxyHeaderVersion : std::uint8_t { kV1, kV2 };

// Version 1 headers are at most 107 bytes with their CRLF.
inline constexpr std::size_t kProxyV1MaxBytes = 107;
// Version 2 headers may carry TLVs up to 64 KiB; bulwark takes at most this much of them (AWS,
// GCP and Azure add under 200 bytes), so a header always fits one read buffer.
inline constexpr std::size_t kProxyV2MaxBytes = 16 + 2048;

struct ProxyHeader {
  // LOCAL (v2) or UNKNOWN (v1): the sender speaks for itself (a health check, an unknown
  // family), so the connection's own addresses stand and the fields below are unset.
  bool local = false;
  asio::ip::tcp::endpoint source;
  asio::ip::tcp::endpoint destination;
};

struct ProxyParse {
  enum class Status : std::uint8_t { kNeedMore, kError, kDone };
  Status status = Status::kNeedMore;
  std::size_t consumed = 0;  // kDone: the header's length
  ProxyHeader header;        // kDone
  std::string_view error;    // kError: why, a static string
};

// Parses a header from the start of `bytes` (everything received so far).
ProxyParse parse_proxy_header(std::span<const char> bytes);

// The largest header write_proxy_header produces (v1 with two IPv6 addresses).
inline constexpr std::size_t kProxyHeaderMaxWritten = kProxyV1MaxBytes;
using ProxyHeaderBytes = std::array<char, kProxyHeaderMaxWritten>;

// Writes a PROXY command header for a TCP connection from `source` to `destination` into `out`
// and returns its length. Mixed families are both sent as IPv6 (IPv4-mapped).
std::size_t write_proxy_header(ProxyHeaderVersion version, const asio::ip::tcp::endpoint& source,
                               const asio::ip::tcp::endpoint& destination, ProxyHeaderBytes& out);

}  // namespace bulwark::net
