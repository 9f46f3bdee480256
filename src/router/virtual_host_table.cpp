#include "router/virtual_host_table.h"

#include <charconv>
#include <cstring>

#include "http/header_map.h"

namespace bulwark::router {
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

struct HostName {
  std::string_view name;
  std::uint16_t port = 0;  // 0 when the port is missing or not a port (matches no domain's port)
  bool has_port = false;
};

// "name", "name:port", "[v6]" or "[v6]:port"; a trailing dot (absolute name) is dropped.
HostName split_host(std::string_view host) noexcept {
  HostName out{.name = host};
  const std::size_t colon =
      host.starts_with('[') ? host.find(':', host.find(']')) : host.rfind(':');
  if (colon != std::string_view::npos) {
    out.name = host.substr(0, colon);
    const std::string_view digits = host.substr(colon + 1);
    out.has_port = !digits.empty();  // "host:" has the scheme's default port (RFC 3986 §3.2.3)
    unsigned port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error == std::errc{} && end == digits.data() + digits.size() && port <= 0xFFFF) {
      out.port = static_cast<std::uint16_t>(port);
    }
  }
  if (out.name.size() > 1 && out.name.back() == '.') out.name.remove_suffix(1);
  return out;
}

}  // namespace

// Eight bytes at a time, each with bit 0x20 set: that folds A-Z onto a-z, so names equal but for
// case hash alike. Other bytes it folds together (such as '_' and DEL) only share a bucket;
// NameEqual tells them apart.
std::size_t VirtualHostTable::NameHash::operator()(std::string_view name) const noexcept {
  constexpr std::uint64_t kFold = 0x2020202020202020ULL;
  constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;
  std::uint64_t hash = name.size();
  const auto mix = [&](std::uint64_t word) {
    hash = (hash ^ (word | kFold)) * kMultiplier;
    hash ^= hash >> 29;
  };
  std::size_t at = 0;
  for (; name.size() - at >= sizeof(std::uint64_t); at += sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, name.data() + at, sizeof(word));
    mix(word);
  }
  std::uint64_t tail = 0;
  // An empty name may have no data pointer at all, which memcpy must not be given.
  if (name.size() > at) std::memcpy(&tail, name.data() + at, name.size() - at);
  mix(tail);
  return static_cast<std::size_t>(hash);
}

bool VirtualHostTable::NameEqual::operator()(std::string_view a,
                                             std::string_view b) const noexcept {
  return http::iequals(a, b);
}

void VirtualHostTable::Claims::add(std::uint16_t port, std::uint32_t host) {
  if (port == 0) {
    if (any_port == kNone) any_port = host;
    return;
  }
  for (const auto& [claimed, owner] : ports) {
    if (claimed == port) return;
  }
  ports.emplace_back(port, host);
}

std::uint32_t VirtualHostTable::Claims::pick(std::uint16_t port) const {
  for (const auto& [claimed, owner] : ports) {
    if (claimed == port) return owner;
  }
  return any_port;
}

VirtualHostTable::VirtualHostTable(const std::vector<config::VirtualHost>& hosts) {
  for (std::uint32_t i = 0; i < hosts.size(); ++i) {
    for (const std::string& domain : hosts[i].domains) {
      const HostName parsed = split_host(domain);
      std::string name;
      name.reserve(parsed.name.size());
      for (const char c : parsed.name)
        name.push_back(lower(c));
      if (name == "*") {
        default_.add(parsed.port, i);
      } else if (name.starts_with("*.")) {
        wildcard_[name.substr(1)].add(parsed.port, i);
      } else {
        exact_[std::move(name)].add(parsed.port, i);
      }
    }
  }
}

std::uint32_t VirtualHostTable::find(std::string_view host, std::uint16_t local_port) const {
  const HostName parsed = split_host(host);
  const std::uint16_t port = parsed.has_port ? parsed.port : local_port;
  if (const auto it = exact_.find(parsed.name); it != exact_.end()) {
    if (const std::uint32_t found = it->second.pick(port); found != kNone) return found;
  }
  if (!wildcard_.empty()) {
    // From the leftmost dot: the longest suffix first. A name starting with a dot has no label
    // for the '*' to stand for.
    for (std::size_t dot = parsed.name.find('.', 1); dot != std::string_view::npos;
         dot = parsed.name.find('.', dot + 1)) {
      if (const auto it = wildcard_.find(parsed.name.substr(dot)); it != wildcard_.end()) {
        if (const std::uint32_t found = it->second.pick(port); found != kNone) return found;
      }
    }
  }
  return default_.pick(port);
}

}  // namespace bulwark::router
