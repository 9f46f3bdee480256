#pragma once
// Finds a listener's virtual host for a request's Host: an exact name first, then the wildcard
// with the longest suffix, then the default ("*"). Names compare case-insensitively. A domain
// with a port ("example.com:8080") takes only requests for that port (the Host's port, or the
// listener's when the Host has none) and wins over the same name without a port.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"

namespace bulwark::router {

class VirtualHostTable {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  explicit VirtualHostTable(const std::vector<config::VirtualHost>& hosts);

  // The index of the virtual host for a Host value, or kNone.
  [[nodiscard]] std::uint32_t find(std::string_view host, std::uint16_t local_port) const;

 private:
  // The virtual hosts that claim one name: one for any port, one per port; the first claim wins.
  struct Claims {
    std::uint32_t any_port = kNone;
    std::vector<std::pair<std::uint16_t, std::uint32_t>> ports;

    void add(std::uint16_t port, std::uint32_t host);
    [[nodiscard]] std::uint32_t pick(std::uint16_t port) const;
  };
  // Keys are stored in lower case; lookups take the Host as sent, without copying it.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept;
  };
  struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
  };
  using Names = std::unordered_map<std::string, Claims, NameHash, NameEqual>;

  Names exact_;
  Names wildcard_;  // by suffix, dot included: "*.example.com" is ".example.com"
  Claims default_;
};

}  // namespace bulwark::router
