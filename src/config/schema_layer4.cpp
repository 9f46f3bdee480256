// A listener's protocol (http, tcp, tls_passthrough), its layer4 target, its proxy_protocol
// acceptance, and a cluster's send_proxy_protocol (docs/config.md "Layer 4 and the PROXY
// protocol").

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "config/schema.h"
#include "config/suggest.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 3> kProtocols{"http", "tcp", "tls_passthrough"};
constexpr Duration kDay{24 * 3'600'000};

// Resolves a cluster name against the clusters read so far (all of them: clusters are read
// before listeners). Layer-4 connections carry bytes as they are, so a cluster that speaks TLS or
// another protocol to its endpoints cannot take them.
bool read_layer4_cluster(YamlReader& reader, const Value& value, const Config& config,
                         std::string& name, std::size_t& index) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return false;
  std::vector<std::string_view> known;
  for (std::size_t i = 0; i < config.clusters.size(); ++i) {
    const Cluster& cluster = config.clusters[i];
    if (cluster.name != *text) {
      if (!cluster.name.empty()) known.push_back(cluster.name);
      continue;
    }
    if (cluster.tls || cluster.protocol != UpstreamProtocol::kHttp1) {
      reader.error(value.mark,
                   fmt::format("{}: cluster '{}' speaks {} to its endpoints; a layer-4 listener "
                               "passes the client's bytes as they are",
                               value.what, *text, cluster.tls ? "TLS" : "another protocol"),
                   "use a cluster without tls: and protocol:");
      return false;
    }
    name = *text;
    index = i;
    return true;
  }
  std::string hint = did_you_mean(*text, known);
  if (hint.empty()) {
    hint = known.empty() ? "define it under clusters:"
                         : fmt::format("the clusters are: {}", fmt::join(known, ", "));
  }
  reader.error(value.mark, fmt::format("{}: cluster '{}' is not defined", value.what, *text),
               std::move(hint));
  return false;
}

// "a.example" or "*.b.example": letters, digits, '-' and '.', as SNI carries them.
bool is_server_name_pattern(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

struct NameOwner {
  std::string name;
  SourceMark mark;
};

void read_sni_route(YamlReader& reader, const Value& value, const Config& config,
                    std::vector<NameOwner>& owners, Layer4& layer4) {
  static constexpr std::array<std::string_view, 2> kKeys{"server_names", "cluster"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  SniRoute route;
  if (std::optional<Value> names = reader.require(*map, "server_names")) {
    if (std::optional<std::vector<Value>> items = reader.list(*names)) {
      if (items->empty()) {
        reader.error(names->mark, "server_names: an SNI route needs at least one server name");
      }
      for (const Value& item : *items) {
        std::optional<std::string> text = reader.string(item);
        if (!text) continue;
        std::string name = to_lower(*text);
        if (!is_server_name_pattern(name)) {
          reader.error(item.mark, fmt::format("{}: '{}' is not a server name", item.what, *text),
                       "write a host name (a.example) or a wildcard (*.b.example)");
          continue;
        }
        const auto first = std::ranges::find(owners, name, &NameOwner::name);
        if (first != owners.end()) {
          reader.error(item.mark,
                       fmt::format("{}: server name '{}' is listed twice (first at {})", item.what,
                                   name, line_of(first->mark, item.mark)),
                       "each server name belongs to one SNI route");
          continue;
        }
        owners.push_back(NameOwner{name, item.mark});
        route.server_names.push_back(std::move(name));
      }
    }
  }
  if (std::optional<Value> cluster = reader.require(*map, "cluster")) {
    (void)read_layer4_cluster(reader, *cluster, config, route.cluster, route.cluster_index);
  }
  layer4.sni_routes.push_back(std::move(route));
}

void read_layer4(YamlReader& reader, const Value& value, const Config& config, Listener& listener) {
  static constexpr std::array<std::string_view, 3> kKeys{"cluster", "sni_routes", "idle_timeout"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  Layer4& layer4 = listener.layer4;
  const bool passthrough = listener.protocol == ListenerProtocol::kTlsPassthrough;
  std::optional<Value> routes = map->get("sni_routes");
  if (routes && !passthrough) {
    reader.error(routes->mark, "sni_routes: only a tls_passthrough listener routes by SNI",
                 "write protocol: tls_passthrough, or send everything to layer4.cluster");
    routes.reset();
  }
  if (routes) {
    if (std::optional<std::vector<Value>> items = reader.list(*routes)) {
      std::vector<NameOwner> owners;
      for (const Value& item : *items)
        read_sni_route(reader, item, config, owners, layer4);
    }
  }
  if (std::optional<Value> cluster = map->get("cluster")) {
    (void)read_layer4_cluster(reader, *cluster, config, layer4.cluster, layer4.cluster_index);
  } else if (!passthrough) {
    reader.error(value.mark, "layer4: a tcp listener needs a cluster",
                 "write layer4: { cluster: NAME }");
  } else if (layer4.sni_routes.empty()) {
    reader.error(value.mark, "layer4: a tls_passthrough listener needs sni_routes or a cluster",
                 "write layer4: { sni_routes: [ { server_names: [NAME], cluster: NAME } ] }");
  }
  if (std::optional<Value> idle = map->get("idle_timeout")) {
    if (auto d = reader.duration(*idle, Duration{1}, kDay)) layer4.idle_timeout = *d;
  }
}

void read_proxy_protocol(YamlReader& reader, const Value& value, Listener& listener) {
  static constexpr std::array<std::string_view, 2> kKeys{"trusted_sources", "timeout"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  ProxyProtocolAccept accept;
  if (std::optional<Value> sources = reader.require(*map, "trusted_sources")) {
    if (std::optional<std::vector<Value>> items = reader.list(*sources)) {
      if (items->empty()) {
        reader.error(sources->mark,
                     "trusted_sources: list the load balancers that send PROXY headers",
                     "e.g. trusted_sources: [ 10.0.0.0/8 ]; without proxy_protocol no "
                     "connection is expected to send one");
      }
      for (const Value& item : *items) {
        if (std::optional<net::Cidr> cidr = read_network(reader, item)) {
          accept.trusted_sources.push_back(*cidr);
        }
      }
    }
  }
  if (std::optional<Value> timeout = map->get("timeout")) {
    if (auto d = reader.duration(*timeout, Duration{1}, Duration{3'600'000})) accept.timeout = *d;
  }
  listener.proxy_protocol = std::move(accept);
}

}  // namespace

bool read_listener_protocol(YamlReader& reader, const MapView& map, const Config& config,
                            Listener& listener) {
  if (std::optional<Value> proxy = map.get("proxy_protocol")) {
    read_proxy_protocol(reader, *proxy, listener);
  }
  std::optional<Value> protocol = map.get("protocol");
  if (protocol) {
    if (auto index = reader.choice(*protocol, kProtocols)) {
      listener.protocol = static_cast<ListenerProtocol>(*index);
    }
  }
  std::optional<Value> layer4 = map.get("layer4");
  if (listener.protocol == ListenerProtocol::kHttp) {
    if (layer4) {
      reader.error(layer4->mark, "layer4: only tcp and tls_passthrough listeners use it",
                   "add protocol: tcp or protocol: tls_passthrough");
    }
    return false;
  }
  const std::string_view name = kProtocols[static_cast<std::size_t>(listener.protocol)];
  if (layer4) {
    read_layer4(reader, *layer4, config, listener);
  } else {
    reader.error(protocol->mark,
                 fmt::format("protocol: a {} listener needs layer4: with its cluster", name),
                 "write layer4: { cluster: NAME }");
  }
  // What only HTTP listeners have.
  for (const std::string_view key : {"virtual_hosts", "tls", "redirect_to_https", "http2"}) {
    if (std::optional<Value> given = map.get(key)) {
      reader.error(given->mark,
                   fmt::format("{}: a {} listener does not speak HTTP{}", key, name,
                               key == "tls" ? " or terminate TLS" : ""),
                   fmt::format("remove it, or remove protocol: {}", name));
    }
  }
  return true;
}

void read_send_proxy_protocol(YamlReader& reader, const MapView& map, Cluster& cluster) {
  static constexpr std::array<std::string_view, 2> kVersions{"v1", "v2"};
  if (std::optional<Value> version = map.get("send_proxy_protocol")) {
    if (auto index = reader.choice(*version, kVersions)) {
      cluster.send_proxy_protocol = static_cast<ProxyProtocolVersion>(*index);
    }
  }
}

}  // namespace bulwark::config::schema
