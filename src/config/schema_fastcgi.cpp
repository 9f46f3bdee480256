// FastCGI clusters: `protocol: fastcgi` with `fastcgi: { root, index, params }`
// (docs/config.md "FastCGI").

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::string_view kFastCgiHint = "e.g. fastcgi: { root: /srv/app, index: index.php }";

// An absolute directory on the FastCGI server's side, kept without a trailing '/' so that
// root + "/x.php" is one path.
std::optional<std::string> read_root(YamlReader& reader, const Value& value) {
  std::optional<std::string> root = reader.string(value);
  if (!root) return std::nullopt;
  if (root->empty() || root->front() != '/' || root->find('\0') != std::string::npos) {
    reader.error(value.mark, "root: give an absolute directory", std::string(kFastCgiHint));
    return std::nullopt;
  }
  while (root->size() > 1 && root->back() == '/')
    root->pop_back();
  if (*root == "/") root->clear();
  return root;
}

std::optional<std::string> read_index(YamlReader& reader, const Value& value) {
  std::optional<std::string> index = reader.string(value);
  if (!index) return std::nullopt;
  if (index->empty() || index->find('/') != std::string::npos || *index == "." || *index == "..") {
    reader.error(value.mark, "index: give a file name, without '/'", "e.g. index: index.php");
    return std::nullopt;
  }
  return index;
}

void read_params(YamlReader& reader, const Value& value, FastCgiSettings& settings) {
  std::optional<MapView> map = reader.free_map(value);
  if (!map) return;
  for (const MapView::Field& field : map->fields()) {
    const bool name_ok = !field.key.empty() && field.key.find('\0') == std::string::npos;
    if (!name_ok) {
      reader.error(field.key_mark, "params: a parameter needs a name");
      continue;
    }
    if (std::optional<std::string> text = reader.string(field.value)) {
      settings.params.emplace_back(field.key, std::move(*text));
    }
  }
}

std::optional<FastCgiSettings> read_settings(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 3> kKeys{"root", "index", "params"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  FastCgiSettings settings;
  std::optional<Value> root = map->get("root");
  if (!root) {
    reader.error(value.mark, "fastcgi: missing root", std::string(kFastCgiHint));
    return std::nullopt;
  }
  std::optional<std::string> root_path = read_root(reader, *root);
  if (!root_path) return std::nullopt;
  settings.root = std::move(*root_path);
  if (std::optional<Value> index = map->get("index")) {
    std::optional<std::string> name = read_index(reader, *index);
    if (!name) return std::nullopt;
    settings.index = std::move(*name);
  }
  if (std::optional<Value> params = map->get("params")) read_params(reader, *params, settings);
  return settings;
}

}  // namespace

void read_cluster_fastcgi(YamlReader& reader, const MapView& map, Cluster& cluster) {
  // `protocol:` itself was read by read_cluster_protocol (schema_http2.cpp).
  const std::optional<Value> protocol = map.get("protocol");
  const std::optional<Value> fastcgi = map.get("fastcgi");
  const bool speaks_fastcgi = cluster.protocol == UpstreamProtocol::kFastCgi;
  if (fastcgi && !speaks_fastcgi) {
    reader.error(fastcgi->mark, "fastcgi: only clusters with protocol: fastcgi use it",
                 "add protocol: fastcgi, or remove it");
    return;
  }
  if (!speaks_fastcgi) return;
  if (!fastcgi) {
    reader.error(protocol ? protocol->mark : map.mark(),
                 "protocol: fastcgi needs the fastcgi settings", std::string(kFastCgiHint));
    return;
  }
  cluster.fastcgi = read_settings(reader, *fastcgi);
  // An HTTP health check would speak HTTP/1.1 to a FastCGI server.
  if (cluster.health_check && cluster.health_check->http) {
    if (std::optional<Value> check = map.get("health_check")) {
      reader.error(check->mark, "health_check: a FastCGI cluster can only be checked over TCP",
                   "remove http: from the health check");
    }
  }
}

}  // namespace bulwark::config::schema
