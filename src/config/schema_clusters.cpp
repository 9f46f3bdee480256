// clusters: named groups of endpoints that routes proxy to.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 7> kBalancers{
    "round_robin", "weighted_round_robin", "least_request",  "p2c_ewma",
    "random",      "source_ip_hash",       "consistent_hash"};
constexpr std::string_view kHashKeyHint =
    "e.g. hash_key: { header: x-user-id }, { cookie: session }, { path: true }, "
    "{ query: user } or { client_address: true }";
constexpr double kMinBalanceFactor = 1.0;
constexpr double kMaxBalanceFactor = 100.0;
constexpr std::uint64_t kMaxWeight = 1000;

void read_pool(YamlReader& reader, const Value& value, PoolSettings& pool) {
  static constexpr std::array<std::string_view, 2> kKeys{"max_idle_per_endpoint", "idle_timeout"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> max_idle = map->get("max_idle_per_endpoint")) {
    if (auto count = reader.integer(*max_idle, 0, 1'000'000)) pool.max_idle_per_endpoint = *count;
  }
  if (std::optional<Value> idle_timeout = map->get("idle_timeout")) {
    if (auto d = reader.duration(*idle_timeout, Duration{1}, Duration{24 * 3'600'000})) {
      pool.idle_timeout = *d;
    }
  }
}

// { header: NAME } | { cookie: NAME } | { path: true } | { query: NAME } | { client_address: true }
std::optional<HashKey> read_hash_key(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 5> kKeys{"header", "cookie", "path", "query",
                                                         "client_address"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  // Only unknown keys: those were reported already.
  if (map->fields().empty() && value.node.size() != 0) return std::nullopt;
  if (map->fields().size() != 1) {
    reader.error(value.mark,
                 fmt::format("{}: give exactly one of header, cookie, path, query, client_address",
                             value.what),
                 std::string(kHashKeyHint));
    return std::nullopt;
  }
  const MapView::Field& field = map->fields().front();
  HashKey key;
  static constexpr std::array<HashKey::Source, 5> kSources{
      HashKey::Source::kHeader, HashKey::Source::kCookie, HashKey::Source::kPath,
      HashKey::Source::kQuery, HashKey::Source::kClientAddress};
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (field.key == kKeys[i]) key.source = kSources[i];
  }
  if (key.source == HashKey::Source::kPath || key.source == HashKey::Source::kClientAddress) {
    std::optional<bool> on = reader.boolean(field.value);
    if (!on) return std::nullopt;
    if (!*on) {
      reader.error(field.value.mark, fmt::format("{}: only true makes sense here", field.key),
                   "to hash on something else, name it instead");
      return std::nullopt;
    }
    return key;
  }
  std::optional<std::string> name = read_name(reader, field.value);
  if (!name) return std::nullopt;
  key.name = std::move(*name);
  return key;
}

// A number in [kMinBalanceFactor, kMaxBalanceFactor], such as 1.25.
std::optional<double> read_balance_factor(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.scalar(value, "a number");
  if (!text) return std::nullopt;
  double factor = 0;
  const char* end = text->data() + text->size();
  const auto [parsed_to, ec] = std::from_chars(text->data(), end, factor);
  if (ec != std::errc{} || parsed_to != end || !(factor >= kMinBalanceFactor) ||
      factor > kMaxBalanceFactor) {
    reader.error(value.mark,
                 fmt::format("{}: '{}' is not a number from 1 to 100", value.what, *text),
                 "1.25 lets an endpoint take 25% more than the average before keys spill over");
    return std::nullopt;
  }
  return factor;
}

// HOST:PORT, { address: HOST:PORT, weight: N }, or { srv: NAME } (its records give the weights).
std::optional<Endpoint> read_endpoint(YamlReader& reader, const Value& value) {
  if (!value.node.IsMap()) {
    std::optional<net::HostPort> address = read_host_port(reader, value);
    if (!address) return std::nullopt;
    return Endpoint{.address = std::move(*address), .mark = value.mark};
  }
  static constexpr std::array<std::string_view, 3> kKeys{"address", "weight", "srv"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  Endpoint endpoint{.mark = value.mark};
  if (std::optional<Value> srv = map->get("srv")) {
    bool ok = true;
    for (const std::string_view key : {"address", "weight"}) {
      if (std::optional<Value> other = map->get(key)) {
        reader.error(other->mark, fmt::format("{}: an srv endpoint takes it from its records", key),
                     "remove it, or write the endpoint as { address: HOST:PORT }");
        ok = false;
      }
    }
    std::optional<std::string> name = read_srv_name(reader, *srv);
    if (!ok || !name) return std::nullopt;
    endpoint.srv = std::move(*name);
    return endpoint;
  }
  bool ok = true;
  if (std::optional<Value> address = reader.require(*map, "address")) {
    std::optional<net::HostPort> parsed = read_host_port(reader, *address);
    ok = parsed.has_value();
    if (parsed) endpoint.address = std::move(*parsed);
  } else {
    ok = false;
  }
  if (std::optional<Value> weight = map->get("weight")) {
    std::optional<std::uint64_t> parsed = reader.integer(*weight, 1, kMaxWeight);
    ok = ok && parsed.has_value();
    if (parsed) endpoint.weight = static_cast<std::uint32_t>(*parsed);
  }
  if (!ok) return std::nullopt;
  return endpoint;
}

void read_endpoints(YamlReader& reader, const Value& value, Cluster& cluster) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, fmt::format("endpoints: cluster '{}' has no endpoints", cluster.name),
                 "list at least one HOST:PORT, e.g. endpoints: [ 127.0.0.1:8081 ]");
    return;
  }
  for (const Value& item : *items) {
    if (std::optional<Endpoint> endpoint = read_endpoint(reader, item)) {
      cluster.endpoints.push_back(std::move(*endpoint));
    }
  }
}

void read_cluster(YamlReader& reader, const Value& value, Config& config) {
  static constexpr std::array<std::string_view, 18> kKeys{"name",
                                                          "balancer",
                                                          "hash_key",
                                                          "hash_balance_factor",
                                                          "endpoints",
                                                          "pool",
                                                          "outlier_detection",
                                                          "slow_start",
                                                          "panic_threshold",
                                                          "circuit_breaker",
                                                          "retry",
                                                          "sticky",
                                                          "dns",
                                                          "health_check",
                                                          "tls",
                                                          "protocol",
                                                          "fastcgi",
                                                          "send_proxy_protocol"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  Cluster cluster;
  cluster.mark = value.mark;
  if (std::optional<Value> name = reader.require(*map, "name")) {
    if (std::optional<std::string> text = read_name(reader, *name)) {
      for (const Cluster& other : config.clusters) {
        if (other.name == *text) {
          reader.error(name->mark,
                       fmt::format("name: duplicate cluster name '{}' (first at {})", *text,
                                   line_of(other.mark, name->mark)),
                       "cluster names must be unique");
        }
      }
      cluster.name = *text;
    }
  }
  std::optional<Value> balancer = map->get("balancer");
  if (balancer) {
    if (auto index = reader.choice(*balancer, kBalancers)) {
      cluster.balancer = std::string(kBalancers[*index]);
    }
  }
  // Only consistent_hash reads the key; elsewhere it would be silently ignored.
  const bool hashing = cluster.balancer == "consistent_hash";
  for (const std::string_view key : {"hash_key", "hash_balance_factor"}) {
    if (std::optional<Value> given = map->get(key); given && !hashing) {
      reader.error(given->mark, fmt::format("{}: only the consistent_hash balancer uses it", key),
                   "add balancer: consistent_hash, or remove it");
    }
  }
  if (hashing) {
    if (std::optional<Value> key = map->get("hash_key")) {
      cluster.hash_key = read_hash_key(reader, *key);
    } else {
      reader.error(balancer ? balancer->mark : cluster.mark,
                   "balancer: consistent_hash needs a hash_key", std::string(kHashKeyHint));
    }
    if (std::optional<Value> factor = map->get("hash_balance_factor")) {
      if (std::optional<double> parsed = read_balance_factor(reader, *factor)) {
        cluster.hash_balance_factor = *parsed;
      }
    }
  }
  if (std::optional<Value> endpoints = reader.require(*map, "endpoints")) {
    read_endpoints(reader, *endpoints, cluster);
  }
  if (std::optional<Value> pool = map->get("pool")) read_pool(reader, *pool, cluster.pool);
  if (std::optional<Value> dns = map->get("dns")) {
    read_dns(reader, *dns, cluster.dns);
    const bool looks_up = std::ranges::any_of(cluster.endpoints, [](const Endpoint& endpoint) {
      return !endpoint.srv.empty() || !endpoint.address.is_address();
    });
    if (!looks_up && !cluster.endpoints.empty()) {
      reader.error(dns->mark, fmt::format("dns: cluster '{}' has no name to look up", cluster.name),
                   "its endpoints are IP addresses; write a HOST:PORT name or { srv: NAME }");
    }
  }
  read_cluster_resilience(reader, *map, cluster);
  if (std::optional<Value> sticky = map->get("sticky"))
    cluster.sticky = read_sticky(reader, *sticky);
  if (std::optional<Value> check = map->get("health_check")) {
    cluster.health_check = read_health_check(reader, *check);
  }
  if (std::optional<Value> tls = map->get("tls")) cluster.tls = read_upstream_tls(reader, *tls);
  read_cluster_protocol(reader, *map, cluster);
  read_cluster_fastcgi(reader, *map, cluster);
  read_send_proxy_protocol(reader, *map, cluster);
  // Kept even when broken, so that routes naming it are not reported as undefined too; the
  // config is refused anyway.
  config.clusters.push_back(std::move(cluster));
}

}  // namespace

void read_clusters(YamlReader& reader, const Value& value, Config& config) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items)
    read_cluster(reader, item, config);
}

}  // namespace bulwark::config::schema
