// A listener's http2: and a cluster's protocol: (docs/config.md "Protocols").

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

// RFC 9113 §6.5.2: windows up to 2^31-1; frames from 2^14 to 2^24-1.
constexpr std::uint64_t kMaxWindow = (std::uint64_t{1} << 31) - 1;
constexpr std::uint64_t kMinWindow = 65'535;
constexpr std::uint64_t kMinFrame = std::uint64_t{1} << 14;
constexpr std::uint64_t kMaxFrame = (std::uint64_t{1} << 24) - 1;

void read_u32(YamlReader& reader, const MapView& map, std::string_view key, std::uint64_t min,
              std::uint64_t max, std::uint32_t& out, bool bytes) {
  std::optional<Value> value = map.get(key);
  if (!value) return;
  std::optional<std::uint64_t> number =
      bytes ? reader.size(*value, min, max) : reader.integer(*value, min, max);
  if (number) out = static_cast<std::uint32_t>(*number);
}

}  // namespace

void read_listener_http2(YamlReader& reader, const MapView& listener_map, Listener& listener) {
  std::optional<Value> value = listener_map.get("http2");
  if (!value) return;
  static constexpr std::array<std::string_view, 9> kKeys{"enabled",
                                                         "cleartext",
                                                         "max_concurrent_streams",
                                                         "initial_stream_window",
                                                         "connection_window",
                                                         "max_frame_size",
                                                         "max_resets_per_second",
                                                         "max_control_frames_per_second",
                                                         "stall_timeout"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, *value, kKeys, off);
  Http2Settings& http2 = listener.http2;
  if (off) {
    http2.enabled = false;
    return;
  }
  if (!map) return;
  if (std::optional<Value> enabled = map->get("enabled")) {
    if (std::optional<bool> flag = reader.boolean(*enabled)) http2.enabled = *flag;
  }
  if (std::optional<Value> cleartext = map->get("cleartext")) {
    if (std::optional<bool> flag = reader.boolean(*cleartext)) {
      http2.cleartext = *flag;
      if (*flag && listener_map.has("tls")) {
        reader.error(cleartext->mark,
                     "cleartext: h2c is for listeners without tls; TLS listeners offer h2 by ALPN",
                     "remove cleartext, or remove the listener's tls");
      }
    }
  }
  read_u32(reader, *map, "max_concurrent_streams", 1, 10'000, http2.max_concurrent_streams, false);
  read_u32(reader, *map, "initial_stream_window", kMinWindow, kMaxWindow,
           http2.initial_stream_window, true);
  read_u32(reader, *map, "connection_window", kMinWindow, kMaxWindow, http2.connection_window,
           true);
  read_u32(reader, *map, "max_frame_size", kMinFrame, kMaxFrame, http2.max_frame_size, true);
  read_u32(reader, *map, "max_resets_per_second", 1, 1'000'000, http2.max_resets_per_second, false);
  read_u32(reader, *map, "max_control_frames_per_second", 1, 1'000'000,
           http2.max_control_frames_per_second, false);
  if (std::optional<Value> stall = map->get("stall_timeout")) {
    if (auto timeout = reader.duration(*stall, Duration(1'000), Duration(3'600'000))) {
      http2.stall_timeout = *timeout;
    }
  }
}

void read_cluster_protocol(YamlReader& reader, const MapView& cluster_map, Cluster& cluster) {
  std::optional<Value> value = cluster_map.get("protocol");
  if (!value) return;
  static constexpr std::array<std::string_view, 5> kProtocols{"http1.1", "h2", "h2c", "auto",
                                                              "fastcgi"};
  static constexpr std::array<UpstreamProtocol, 5> kValues{
      UpstreamProtocol::kHttp1, UpstreamProtocol::kH2, UpstreamProtocol::kH2c,
      UpstreamProtocol::kAuto, UpstreamProtocol::kFastCgi};
  std::optional<std::size_t> index = reader.choice(*value, kProtocols);
  if (!index) return;
  cluster.protocol = kValues[*index];
  // `tls: false` is no TLS; a broken tls map was meant as TLS (and is reported on its own).
  const std::optional<Value> tls_value = cluster_map.get("tls");
  const bool tls = cluster.tls.has_value() || (tls_value && !tls_value->node.IsScalar());
  const std::string_view name = kProtocols[*index];
  if ((cluster.protocol == UpstreamProtocol::kH2 || cluster.protocol == UpstreamProtocol::kAuto) &&
      !tls) {
    reader.error(
        value->mark,
        fmt::format("protocol: {} needs the cluster to have tls (it is chosen by ALPN)", name),
        "add tls: {} to the cluster, or use h2c for HTTP/2 without TLS");
  }
  if (cluster.protocol == UpstreamProtocol::kH2c && tls) {
    reader.error(value->mark, "protocol: h2c is HTTP/2 without TLS, but the cluster has tls",
                 "use h2 for HTTP/2 over TLS, or remove tls");
  }
}

}  // namespace bulwark::config::schema
