// dns: how a cluster looks its endpoint names up, and SRV endpoint names.

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 4> kFamilies{"auto", "any", "ipv4", "ipv6"};
constexpr std::array<DnsSettings::Family, 4> kFamilyValues{
    DnsSettings::Family::kAuto, DnsSettings::Family::kAny, DnsSettings::Family::kIpv4,
    DnsSettings::Family::kIpv6};
constexpr Duration kMinTtl{1'000};  // DNS TTLs count seconds
constexpr Duration kMaxTtl{7 * 24 * 3'600'000};
constexpr std::size_t kMaxDnsName = 253;

void read_resolvers(YamlReader& reader, const Value& value, DnsSettings& dns) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    std::optional<net::HostPort> address = read_host_port(reader, item);
    if (!address) continue;
    if (!address->is_address()) {
      reader.error(item.mark,
                   fmt::format("{}: '{}' is a name; a resolver is an IP address", item.what,
                               address->to_string()),
                   "e.g. resolvers: [ 127.0.0.1:53 ]");
      continue;
    }
    dns.resolvers.push_back(std::move(*address));
  }
}

// ttl, or a fixed DURATION.
void read_refresh(YamlReader& reader, const Value& value, DnsSettings& dns) {
  std::optional<std::string> text = reader.scalar(value, "ttl or a duration");
  if (!text || *text == "ttl") return;
  const auto period = parse_duration(*text);
  if (!period || *period < kMinTtl || *period > kMaxTtl) {
    reader.error(
        value.mark,
        fmt::format("refresh: expected ttl or a duration from 1s to 7 days, got '{}'", *text),
        "ttl looks again as each answer expires; 30s looks again every 30 seconds");
    return;
  }
  dns.refresh = *period;
}

}  // namespace

void read_dns(YamlReader& reader, const Value& value, DnsSettings& dns) {
  static constexpr std::array<std::string_view, 5> kKeys{"resolvers", "refresh", "min_ttl",
                                                         "max_ttl", "family"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> resolvers = map->get("resolvers")) {
    read_resolvers(reader, *resolvers, dns);
  }
  if (std::optional<Value> refresh = map->get("refresh")) read_refresh(reader, *refresh, dns);
  if (std::optional<Value> min_ttl = map->get("min_ttl")) {
    if (auto d = reader.duration(*min_ttl, kMinTtl, kMaxTtl)) dns.min_ttl = *d;
  }
  if (std::optional<Value> max_ttl = map->get("max_ttl")) {
    if (auto d = reader.duration(*max_ttl, kMinTtl, kMaxTtl)) {
      dns.max_ttl = *d;
      if (dns.max_ttl < dns.min_ttl) {
        reader.error(max_ttl->mark,
                     fmt::format("max_ttl: {} is below min_ttl ({})", format_duration(dns.max_ttl),
                                 format_duration(dns.min_ttl)));
      }
    }
  }
  if (std::optional<Value> family = map->get("family")) {
    if (auto index = reader.choice(*family, kFamilies)) dns.family = kFamilyValues[*index];
  }
}

std::optional<std::string> read_srv_name(YamlReader& reader, const Value& value) {
  std::optional<std::string> name = reader.string(value);
  if (!name) return std::nullopt;
  const bool valid_chars = std::ranges::all_of(*name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  if (name->empty() || name->size() > kMaxDnsName || !valid_chars ||
      name->find("..") != std::string::npos || name->starts_with('.')) {
    reader.error(value.mark, fmt::format("{}: '{}' is not a DNS name", value.what, *name),
                 "e.g. srv: _http._tcp.api.internal");
    return std::nullopt;
  }
  return name;
}

}  // namespace bulwark::config::schema
