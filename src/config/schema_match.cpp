// match: what a route matches (path, methods, headers, query, client networks), and the check
// for routes that an earlier route always wins over.

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

// A path to match: absolute, and without the query or fragment (matching ignores the query).
bool read_path(YamlReader& reader, const Value& value, std::string& out) {
  std::optional<std::string> path = reader.string(value);
  if (!path) return false;
  if (!path->starts_with('/')) {
    reader.error(value.mark, fmt::format("{}: '{}' must start with '/'", value.what, *path));
    return false;
  }
  for (const char c : *path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '?' || c == '#') {
      reader.error(value.mark, fmt::format("{}: '{}' is not a plain path", value.what, *path),
                   "no spaces, control characters, query ('?') or fragment ('#')");
      return false;
    }
  }
  out = std::move(*path);
  return true;
}

std::string describe_match(const RouteMatch& match) {
  return fmt::format("{} {}", match.path_kind == PathMatchKind::kExact ? "exact" : "prefix",
                     match.path);
}

// True when `earlier` matches every request `later` matches.
bool shadows(const RouteMatch& earlier, const RouteMatch& later) {
  if (earlier.path_kind == PathMatchKind::kExact) {
    return later.path_kind == PathMatchKind::kExact && later.path == earlier.path;
  }
  // Prefixes match by characters (router/router.cpp): "/api" also takes "/apix".
  return later.path.starts_with(earlier.path);
}

}  // namespace

bool read_match(YamlReader& reader, const Value& value, RouteMatch& match) {
  static constexpr std::array<std::string_view, 2> kKeys{"prefix", "exact"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return false;
  const std::optional<Value> prefix = map->get("prefix");
  const std::optional<Value> exact = map->get("exact");
  if (prefix && exact) {
    reader.error(exact->mark, "match: give prefix or exact, not both");
    return false;
  }
  if (exact) {
    match.path_kind = PathMatchKind::kExact;
    return read_path(reader, *exact, match.path);
  }
  if (prefix) return read_path(reader, *prefix, match.path);
  return true;  // {}: every path, as prefix "/"
}

void check_shadowed_routes(YamlReader& reader, const VirtualHost& host) {
  for (std::size_t later = 1; later < host.routes.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const Route& first = host.routes[earlier];
      const Route& second = host.routes[later];
      if (!shadows(first.match, second.match)) continue;
      const bool catch_all =
          first.match.path_kind == PathMatchKind::kPrefix && first.match.path == "/";
      if (catch_all) {
        reader.error(second.mark,
                     fmt::format("this route ({}) can never match: the catch-all route at line {} "
                                 "(prefix /) comes before it",
                                 describe_match(second.match), first.mark.line),
                     "move the catch-all route to the end of routes");
      } else {
        reader.error(
            second.mark,
            fmt::format("this route ({}) can never match: the route at line {} ({}) "
                        "comes before it and matches all its paths",
                        describe_match(second.match), first.mark.line, describe_match(first.match)),
            "put more specific routes first");
      }
      break;
    }
  }
}

}  // namespace bulwark::config::schema
