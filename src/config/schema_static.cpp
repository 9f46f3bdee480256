// static: files served from a directory.

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {

void read_static(YamlReader& reader, const Value& value, const RouteMatch& /*match*/,
                 StaticAction& files) {
  static constexpr std::array<std::string_view, 1> kKeys{"root"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> root = reader.require(*map, "root")) {
    if (std::optional<std::string> text = reader.string(*root)) files.root = std::move(*text);
  }
}

}  // namespace bulwark::config::schema
