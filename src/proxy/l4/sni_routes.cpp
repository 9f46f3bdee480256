#include "proxy/l4/sni_routes.h"

#include <string>

namespace bulwark::proxy {

std::optional<std::size_t> route_server_name(const config::Layer4& layer4, std::string_view name) {
  const config::SniRoute* wildcard = nullptr;
  std::size_t wildcard_length = 0;
  for (const config::SniRoute& route : layer4.sni_routes) {
    for (const std::string& pattern : route.server_names) {
      if (pattern == name) return route.cluster_index;
      if (!pattern.starts_with("*.")) continue;
      const std::string_view suffix = std::string_view(pattern).substr(1);  // ".b.example"
      if (name.size() > suffix.size() && name.ends_with(suffix) &&
          suffix.size() > wildcard_length) {
        wildcard = &route;
        wildcard_length = suffix.size();
      }
    }
  }
  if (wildcard != nullptr) return wildcard->cluster_index;
  if (!layer4.cluster.empty()) return layer4.cluster_index;
  return std::nullopt;
}

}  // namespace bulwark::proxy
