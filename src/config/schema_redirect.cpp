// redirect: send the client to another URL.

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {

void read_redirect(YamlReader& reader, const Value& value, const RouteMatch& /*match*/,
                   RedirectAction& /*redirect*/) {
  static constexpr std::array<std::string_view, 0> kKeys{};
  std::optional<MapView> map = reader.map(value, kKeys);
}

}  // namespace bulwark::config::schema
