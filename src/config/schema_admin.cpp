// admin: the listener of /metrics and the admin API, and its bearer token.

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {

void read_admin(YamlReader& reader, const Value& value, Admin& admin) {
  static constexpr std::array<std::string_view, 2> kKeys{"listen", "token"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  std::optional<Value> listen = reader.require(*map, "listen");
  if (!listen) return;
  admin.listen = read_host_port(reader, *listen);
  if (!admin.listen) return;
  if (std::optional<Value> token = map->get("token")) {
    std::optional<std::string> text = reader.string(*token);
    if (!text) return;
    if (text->empty()) {
      reader.error(token->mark, fmt::format("admin.{}: the token is empty", token->what),
                   "remove it (loopback only), or write a long random string");
      return;
    }
    admin.token = std::move(*text);
  }
  if (admin.token.empty() && admin.needs_token()) {
    reader.error(listen->mark,
                 fmt::format("admin.{}: '{}' is not a loopback address, so a token is required",
                             listen->what, admin.listen->to_string()),
                 "add token: ${BULWARK_ADMIN_TOKEN} (clients send Authorization: Bearer TOKEN), "
                 "or listen on 127.0.0.1");
  }
}

}  // namespace bulwark::config::schema
