// clusters: named groups of endpoints that routes proxy to.

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 1> kBalancers{"round_robin"};

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

void read_endpoints(YamlReader& reader, const Value& value, Cluster& cluster) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, fmt::format("endpoints: cluster '{}' has no endpoints", cluster.name),
                 "list at least one HOST:PORT, e.g. endpoints: [ 127.0.0.1:8081 ]");
    return;
  }
  for (const Value& item : *items) {
    if (std::optional<net::HostPort> address = read_host_port(reader, item)) {
      cluster.endpoints.push_back(Endpoint{std::move(*address), item.mark});
    }
  }
}

void read_cluster(YamlReader& reader, const Value& value, Config& config) {
  static constexpr std::array<std::string_view, 4> kKeys{"name", "balancer", "endpoints", "pool"};
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
  if (std::optional<Value> balancer = map->get("balancer")) {
    if (auto index = reader.choice(*balancer, kBalancers)) {
      cluster.balancer = std::string(kBalancers[*index]);
    }
  }
  if (std::optional<Value> endpoints = reader.require(*map, "endpoints")) {
    read_endpoints(reader, *endpoints, cluster);
  }
  if (std::optional<Value> pool = map->get("pool")) read_pool(reader, *pool, cluster.pool);
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
