#include "net/proxy_protocol.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace bulwark::net {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t kV2FixedBytes = 16;
constexpr std::uint8_t kV2CommandLocal = 0x0;
constexpr std::uint8_t kV2CommandProxy = 0x1;
constexpr std::uint8_t kV2FamilyUnspec = 0x0;
constexpr std::uint8_t kV2FamilyInet = 0x1;
constexpr std::uint8_t kV2FamilyInet6 = 0x2;
constexpr std::uint8_t kV2FamilyUnix = 0x3;
constexpr std::uint8_t kV2ProtocolStream = 0x1;
constexpr std::size_t kV2Inet4Block = 12;  // two addresses, two ports
constexpr std::size_t kV2Inet6Block = 36;

ProxyParse failure(std::string_view why) {
  return ProxyParse{.status = ProxyParse::Status::kError, .error = why};
}

ProxyParse need_more() {
  return ProxyParse{};
}

ProxyParse done(std::size_t consumed, ProxyHeader header) {
  return ProxyParse{
      .status = ProxyParse::Status::kDone, .consumed = consumed, .header = std::move(header)};
}

// An address as inet_pton takes it: the textual forms the protocol allows and nothing else
// (no leading zeros in IPv4 parts, no zone index).
bool parse_v1_address(std::string_view text, bool v6, asio::ip::address& out) {
  std::array<char, INET6_ADDRSTRLEN> terminated{};
  if (text.empty() || text.size() >= terminated.size()) return false;
  std::ranges::copy(text, terminated.begin());
  if (v6) {
    asio::ip::address_v6::bytes_type bytes{};
    if (inet_pton(AF_INET6, terminated.data(), bytes.data()) != 1) return false;
    out = asio::ip::address_v6(bytes);
  } else {
    asio::ip::address_v4::bytes_type bytes{};
    if (inet_pton(AF_INET, terminated.data(), bytes.data()) != 1) return false;
    out = asio::ip::address_v4(bytes);
  }
  return true;
}

// 0-65535 in decimal, without leading zeros (one spelling per port).
bool parse_v1_port(std::string_view text, std::uint16_t& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text.front() == '0')) return false;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  out = static_cast<std::uint16_t>(value);
  return true;
}

ProxyParse parse_v1(std::string_view bytes) {
  const std::string_view text = bytes.substr(0, kProxyV1MaxBytes);
  const std::size_t compared = std::min(text.size(), kV1Prefix.size());
  if (text.substr(0, compared) != kV1Prefix.substr(0, compared)) {
    return failure("not a PROXY protocol header (bad v1 signature)");
  }
  const std::size_t lf = text.find('\n');
  const std::size_t cr = text.find('\r');
  const std::string_view before_end = text.substr(0, std::min(lf, cr));
  if (std::ranges::any_of(before_end, [](char c) { return c < 0x20 || c > 0x7E; })) {
    return failure("a PROXY v1 header is printable ASCII");
  }
  if (lf == std::string_view::npos) {
    // A CR that something other than LF follows can never become a line end.
    if (cr != std::string_view::npos && cr + 1 < text.size()) {
      return failure("a PROXY v1 header must end in CRLF");
    }
    if (bytes.size() >= kProxyV1MaxBytes) return failure("the PROXY v1 header is over 107 bytes");
    return need_more();
  }
  if (cr == std::string_view::npos || cr + 1 != lf) {
    return failure("a PROXY v1 header must end in CRLF");
  }
  const std::string_view line = text.substr(kV1Prefix.size(), cr - kV1Prefix.size());
  const std::size_t consumed = lf + 1;
  const std::size_t space = line.find(' ');
  const std::string_view family = line.substr(0, space);
  if (family == "UNKNOWN") {
    // The sender does not know the addresses; whatever follows is to be ignored.
    return done(consumed, ProxyHeader{.local = true});
  }
  if (family != "TCP4" && family != "TCP6") {
    return failure("the PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN");
  }
  // Source, destination and the two ports, separated by exactly one space each.
  std::array<std::string_view, 4> fields{};
  std::size_t count = 0;
  if (space != std::string_view::npos) {
    std::string_view rest = line.substr(space + 1);
    for (;;) {
      if (count == fields.size()) return failure("the PROXY v1 header has too many fields");
      const std::size_t next = rest.find(' ');
      fields[count++] = rest.substr(0, next);
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  }
  if (count != fields.size()) {
    return failure("a PROXY v1 TCP header has a source, a destination and two ports");
  }
  const bool v6 = family == "TCP6";
  asio::ip::address source;
  asio::ip::address destination;
  if (!parse_v1_address(fields[0], v6, source) || !parse_v1_address(fields[1], v6, destination)) {
    return failure(v6 ? "the PROXY v1 header has an invalid IPv6 address"
                      : "the PROXY v1 header has an invalid IPv4 address");
  }
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  if (!parse_v1_port(fields[2], source_port) || !parse_v1_port(fields[3], destination_port)) {
    return failure("the PROXY v1 header has an invalid port");
  }
  return done(consumed, ProxyHeader{.source = {source, source_port},
                                    .destination = {destination, destination_port}});
}

std::uint16_t read_u16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// What the fixed part of a v2 header allows to be rejected before the rest arrives.
std::string_view check_v2_fixed(const unsigned char* fixed, std::size_t length) {
  if ((fixed[12] >> 4) != 2) return "unsupported PROXY v2 version";
  const unsigned command = fixed[12] & 0x0F;
  if (command != kV2CommandLocal && command != kV2CommandProxy) {
    return "unknown PROXY v2 command";
  }
  if (kV2FixedBytes + length > kProxyV2MaxBytes) return "the PROXY v2 header is too long";
  if (command == kV2CommandLocal) return {};
  const unsigned family = fixed[13] >> 4;
  const unsigned protocol = fixed[13] & 0x0F;
  if (family == kV2FamilyUnspec) return {};
  if (family == kV2FamilyUnix) return "unsupported PROXY v2 address family (AF_UNIX)";
  if (family != kV2FamilyInet && family != kV2FamilyInet6) {
    return "unknown PROXY v2 address family";
  }
  if (protocol != kV2ProtocolStream) return "unsupported PROXY v2 transport (not STREAM)";
  const std::size_t block = family == kV2FamilyInet ? kV2Inet4Block : kV2Inet6Block;
  if (length < block) return "the PROXY v2 address block is too short for its family";
  return {};
}

// The TLVs after the addresses: skipped, but each must fit the header.
bool tlvs_fit(const unsigned char* tlv, std::size_t size) {
  while (size != 0) {
    if (size < 3) return false;
    const std::size_t length = read_u16(tlv + 1);
    if (3 + length > size) return false;
    tlv += 3 + length;
    size -= 3 + length;
  }
  return true;
}

ProxyParse parse_v2(std::string_view bytes) {
  const std::size_t compared = std::min(bytes.size(), kV2Signature.size());
  if (bytes.substr(0, compared) != kV2Signature.substr(0, compared)) {
    return failure("not a PROXY protocol header (bad v2 signature)");
  }
  if (bytes.size() < kV2FixedBytes) return need_more();
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t length = read_u16(p + 14);
  if (const std::string_view why = check_v2_fixed(p, length); !why.empty()) return failure(why);
  const std::size_t consumed = kV2FixedBytes + length;
  if (bytes.size() < consumed) return need_more();
  const unsigned family = p[13] >> 4;
  if ((p[12] & 0x0F) == kV2CommandLocal || family == kV2FamilyUnspec) {
    // Health checks from the balancer itself, or a family it cannot name: no addresses.
    return done(consumed, ProxyHeader{.local = true});
  }
  const unsigned char* block = p + kV2FixedBytes;
  ProxyHeader header;
  std::size_t block_size = 0;
  if (family == kV2FamilyInet) {
    asio::ip::address_v4::bytes_type source{};
    asio::ip::address_v4::bytes_type destination{};
    std::memcpy(source.data(), block, 4);
    std::memcpy(destination.data(), block + 4, 4);
    header.source = {asio::ip::address_v4(source), read_u16(block + 8)};
    header.destination = {asio::ip::address_v4(destination), read_u16(block + 10)};
    block_size = kV2Inet4Block;
  } else {
    asio::ip::address_v6::bytes_type source{};
    asio::ip::address_v6::bytes_type destination{};
    std::memcpy(source.data(), block, 16);
    std::memcpy(destination.data(), block + 16, 16);
    header.source = {asio::ip::address_v6(source), read_u16(block + 32)};
    header.destination = {asio::ip::address_v6(destination), read_u16(block + 34)};
    block_size = kV2Inet6Block;
  }
  if (!tlvs_fit(block + block_size, length - block_size)) {
    return failure("a PROXY v2 TLV overruns the header");
  }
  return done(consumed, std::move(header));
}

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

asio::ip::address_v6 as_v6(const asio::ip::address& address) {
  if (address.is_v6()) return address.to_v6();
  return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
}

void put_u16(char* out, std::uint16_t value) noexcept {
  out[0] = static_cast<char>(value >> 8);
  out[1] = static_cast<char>(value & 0xFF);
}

}  // namespace

ProxyParse parse_proxy_header(std::span<const char> bytes) {
  const std::string_view text(bytes.data(), bytes.size());
  if (text.empty()) return need_more();
  if (text.front() == kV1Prefix.front()) return parse_v1(text);
  if (text.front() == kV2Signature.front()) return parse_v2(text);
  return failure("not a PROXY protocol header");
}

std::size_t write_proxy_header(ProxyHeaderVersion version, const asio::ip::tcp::endpoint& source,
                               const asio::ip::tcp::endpoint& destination, ProxyHeaderBytes& out) {
  const asio::ip::address from = unmapped(source.address());
  const asio::ip::address to = unmapped(destination.address());
  const bool v4 = from.is_v4() && to.is_v4();
  if (version == ProxyHeaderVersion::kV1) {
    const auto written =
        v4 ? fmt::format_to_n(out.data(), out.size(), "PROXY TCP4 {} {} {} {}\r\n",
                              from.to_string(), to.to_string(), source.port(), destination.port())
           : fmt::format_to_n(out.data(), out.size(), "PROXY TCP6 {} {} {} {}\r\n",
                              as_v6(from).to_string(), as_v6(to).to_string(), source.port(),
                              destination.port());
    return written.size;
  }
  char* p = std::ranges::copy(kV2Signature, out.data()).out;
  *p++ = static_cast<char>(0x20 | kV2CommandProxy);
  *p++ = static_cast<char>(((v4 ? kV2FamilyInet : kV2FamilyInet6) << 4) | kV2ProtocolStream);
  put_u16(p, v4 ? kV2Inet4Block : kV2Inet6Block);
  p += 2;
  if (v4) {
    p = std::ranges::copy(from.to_v4().to_bytes(), p).out;
    p = std::ranges::copy(to.to_v4().to_bytes(), p).out;
  } else {
    p = std::ranges::copy(as_v6(from).to_bytes(), p).out;
    p = std::ranges::copy(as_v6(to).to_bytes(), p).out;
  }
  put_u16(p, source.port());
  put_u16(p + 2, destination.port());
  return static_cast<std::size_t>(p + 4 - out.data());
}

}  // namespace bulwark::net
