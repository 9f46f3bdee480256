// The top level of the document, and the sections that included files add to it.

#include <algorithm>
#include <array>
#include <utility>

#include "config/include.h"
#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

// One section (listeners, clusters or filters) as written in one file, with that file's reader.
struct Section {
  YamlReader* reader;
  Value value;
};

// `key` in the main file, then in each included file in include order.
std::vector<Section> sections_of(std::string_view key, YamlReader& reader, const MapView& root,
                                 std::vector<IncludedFile>& included) {
  std::vector<Section> sections;
  if (std::optional<Value> v = root.get(key)) sections.push_back(Section{&reader, std::move(*v)});
  for (IncludedFile& file : included) {
    if (std::optional<Value> v = file.sections.get(key)) {
      sections.push_back(Section{&file.reader, std::move(*v)});
    }
  }
  return sections;
}

bool is_empty_list(const YAML::Node& node) {
  return node.IsNull() || (node.IsSequence() && node.size() == 0);
}

// Listeners may all come from included files; only when no file has one is that an error, and
// it is reported once.
void read_all_listeners(YamlReader& reader, const MapView& root, std::vector<Section> sections,
                        Config& config) {
  if (sections.empty()) {
    (void)reader.require(root, "listeners");
    return;
  }
  const bool some = std::ranges::any_of(
      sections, [](const Section& section) { return !is_empty_list(section.value.node); });
  bool reported_none = false;
  for (const Section& section : sections) {
    if (is_empty_list(section.value.node)) {
      if (some || reported_none) continue;
      reported_none = true;
    }
    read_listeners(*section.reader, section.value, config);
  }
}

}  // namespace

void read_root(YamlReader& reader, const Value& root, Config& config) {
  static constexpr std::array<std::string_view, 17> kKeys{
      "workers",     "limits",    "timeouts",       "forwarding", "request_id",   "access_log",
      "error_log",   "listeners", "clusters",       "include",    "filters",      "obfuscation",
      "error_pages", "pid_file",  "control_socket", "admin",      "cache_storage"};
  if (root.node.IsNull()) {
    reader.error(root.mark, "the configuration is empty",
                 "start from examples/quickstart.yaml; at least one listener is required");
    return;
  }
  std::optional<MapView> map = reader.map(root, kKeys);
  if (!map) return;
  std::vector<IncludedFile> included;
  if (std::optional<Value> v = map->get("include")) included = read_includes(reader, *v, kKeys);
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
  if (std::optional<Value> v = map->get("control_socket")) {
    read_control_socket(reader, *v, config.control_socket);
  }
  if (std::optional<Value> v = map->get("cache_storage")) {
    read_cache_storage(reader, *v, config.cache_storage);
  }
  if (std::optional<Value> v = map->get("admin")) read_admin(reader, *v, config.admin);
  // Named filters and clusters first, from every file: virtual hosts and routes refer to them by
  // name, wherever they are defined.
  for (const Section& s : sections_of("filters", reader, *map, included))
    read_filter_definitions(*s.reader, s.value, config);
  for (const Section& s : sections_of("clusters", reader, *map, included))
    read_clusters(*s.reader, s.value, config);
  read_all_listeners(reader, *map, sections_of("listeners", reader, *map, included), config);
  for (IncludedFile& file : included) {
    for (Diagnostic& d : file.reader.take_errors())
      reader.error(std::move(d.mark), std::move(d.message), std::move(d.hint));
  }
}

}  // namespace bulwark::config::schema
