// The top level of the document.

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {

void read_root(YamlReader& reader, const Value& root, Config& config) {
  static constexpr std::array<std::string_view, 14> kKeys{
      "workers",   "limits",   "timeouts", "forwarding", "request_id",  "access_log",  "error_log",
      "listeners", "clusters", "include",  "filters",    "obfuscation", "error_pages", "pid_file"};
  if (root.node.IsNull()) {
    reader.error(root.mark, "the configuration is empty",
                 "start from examples/quickstart.yaml; at least one listener is required");
    return;
  }
  std::optional<MapView> map = reader.map(root, kKeys);
  if (!map) return;
  if (std::optional<Value> include = map->get("include")) {
    reader.error(include->mark, "include: not supported yet",
                 "put the whole configuration in one file for now");
  }
  if (std::optional<Value> v = map->get("workers")) read_workers(reader, *v, config);
  if (std::optional<Value> v = map->get("limits")) read_limits(reader, *v, config.limits);
  if (std::optional<Value> v = map->get("timeouts")) read_timeouts(reader, *v, config.timeouts);
  if (std::optional<Value> v = map->get("forwarding")) {
    read_forwarding(reader, *v, config.forwarding);
  }
  if (std::optional<Value> v = map->get("request_id")) {
    read_request_id(reader, *v, config.request_id);
  }
  if (std::optional<Value> v = map->get("access_log")) {
    read_access_log(reader, *v, config.access_log);
  }
  if (std::optional<Value> v = map->get("error_log")) read_error_log(reader, *v, config.error_log);
  if (std::optional<Value> v = map->get("obfuscation")) {
    read_obfuscation(reader, *v, config.obfuscation);
  }
  if (std::optional<Value> v = map->get("error_pages")) read_error_pages(reader, *v, config);
  if (std::optional<Value> v = map->get("pid_file")) {
    if (std::optional<std::string> path = reader.string(*v)) config.pid_file = std::move(*path);
  }
  // Named filters and clusters first: virtual hosts and routes refer to them by name.
  if (std::optional<Value> v = map->get("filters")) read_filter_definitions(reader, *v, config);
  if (std::optional<Value> v = map->get("clusters")) read_clusters(reader, *v, config);
  if (std::optional<Value> v = reader.require(*map, "listeners")) {
    read_listeners(reader, *v, config);
  }
}

}  // namespace bulwark::config::schema
