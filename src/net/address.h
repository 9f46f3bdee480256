#pragma once
// Addresses as the configuration and command line write them.

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace bulwark::net {

// "127.0.0.1:8080", "[::1]:8080", "localhost:80". The host is kept as written (names are resolved
// by whoever connects); the port must be 1-65535.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  [[nodiscard]] std::string to_string() const;
  // True when the host is an IP address, false for a name (which DNS answers for).
  [[nodiscard]] bool is_address() const;
};

// Parses HOST:PORT. On failure, `error` says what is wrong (a static string).
bool parse_host_port(std::string_view text, HostPort& out, std::string_view& error);

// An IP network such as 10.0.0.0/8 or ::1/128; a bare address means a single host.
class Cidr {
 public:
  static bool parse(std::string_view text, Cidr& out, std::string_view& error);
  [[nodiscard]] bool contains(const asio::ip::address& address) const noexcept;
  [[nodiscard]] std::string to_string() const;

 private:
  asio::ip::address network_;
  std::uint8_t prefix_ = 0;
};

}  // namespace bulwark::net
