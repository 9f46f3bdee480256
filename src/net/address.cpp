#include "net/address.h"

#include <fmt/format.h>

#include <charconv>

namespace bulwark::net {
namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

// Byte-wise prefix comparison of two addresses of the same family.
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) {
  const unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (a[i] != b[i]) return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool HostPort::is_address() const {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool parse_host_port(std::string_view text, HostPort& out, std::string_view& error) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPv6]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected HOST:PORT";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "an IPv6 address must be written in brackets, as [::1]:PORT";
      return false;
    }
  }
  if (host.empty()) {
    error = "the host is empty";
    return false;
  }
  if (!parse_port(port, out.port)) {
    error = "the port must be a number from 1 to 65535";
    return false;
  }
  out.host = std::string(host);
  return true;
}

bool Cidr::parse(std::string_view text, Cidr& out, std::string_view& error) {
  const auto slash = text.find('/');
  asio::error_code ec;
  const auto address = asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) {
    error = "not an IP address";
    return false;
  }
  const unsigned max_prefix = address.is_v4() ? 32 : 128;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (perr != std::errc{} || end != digits.data() + digits.size() || prefix > max_prefix) {
      error = "the prefix length is out of range";
      return false;
    }
  }
  out.network_ = address;
  out.prefix_ = static_cast<std::uint8_t>(prefix);
  return true;
}

bool Cidr::contains(const asio::ip::address& address) const noexcept {
  asio::ip::address candidate = address;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  if (candidate.is_v6() && candidate.to_v6().is_v4_mapped() && network_.is_v4()) {
    candidate = asio::ip::make_address_v4(asio::ip::v4_mapped, candidate.to_v6());
  }
  if (candidate.is_v4() != network_.is_v4()) return false;
  if (candidate.is_v4()) {
    return same_prefix(candidate.to_v4().to_bytes(), network_.to_v4().to_bytes(), prefix_);
  }
  return same_prefix(candidate.to_v6().to_bytes(), network_.to_v6().to_bytes(), prefix_);
}

std::string Cidr::to_string() const {
  return fmt::format("{}/{}", network_.to_string(), prefix_);
}

}  // namespace bulwark::net
