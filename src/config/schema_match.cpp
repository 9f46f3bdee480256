// match: what a route matches (path, methods, headers, query, client networks), and the check
// for routes that an earlier route always wins over.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "config/schema.h"
#include "config/suggest.h"

namespace bulwark::config::schema {
namespace {

// The methods of RFC 9110 and RFC 5789 (PATCH), and WebDAV's (RFC 4918). Tokens are
// case-sensitive: "get" is not GET.
constexpr std::array<std::string_view, 16> kMethods{
    "GET",   "HEAD",     "POST",      "PUT",   "DELETE", "CONNECT", "OPTIONS", "TRACE",
    "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY",   "MOVE",    "LOCK",    "UNLOCK"};

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

bool is_one_of(std::string_view key, std::span<const std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The one of `keys` the mapping has, or nullopt; reports each further one (in file order) and
// clears `ok`.
std::optional<Value> read_one_of(YamlReader& reader, const MapView& map,
                                 std::span<const std::string_view> keys, bool& ok) {
  std::optional<Value> chosen;
  for (const MapView::Field& field : map.fields()) {
    if (!is_one_of(field.key, keys)) continue;
    if (chosen) {
      reader.error(field.value.mark,
                   fmt::format("{}: give {} or {}, not both", map.what(), chosen->what, field.key));
      ok = false;
      continue;
    }
    chosen = field.value;
  }
  return ok ? chosen : std::nullopt;
}

bool read_path_match(YamlReader& reader, const MapView& map, RouteMatch& match) {
  static constexpr std::array<std::string_view, 3> kPathKeys{"prefix", "exact", "regex"};
  bool ok = true;
  std::optional<Value> path = read_one_of(reader, map, kPathKeys, ok);
  if (!path) return ok;  // none: every path, as prefix "/"
  if (path->what == "regex") {
    match.path_kind = PathMatchKind::kRegex;
    std::optional<std::string> pattern = read_re2_pattern(reader, *path);
    if (pattern) match.path = std::move(*pattern);
    return pattern.has_value();
  }
  if (path->what == "exact") match.path_kind = PathMatchKind::kExact;
  return read_path(reader, *path, match.path);
}

}  // namespace

bool read_methods(YamlReader& reader, const Value& value, std::vector<std::string>& methods) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return false;
  if (items->empty()) {
    reader.error(value.mark, "methods: list at least one method, or leave methods out");
    return false;
  }
  bool ok = true;
  for (const Value& item : *items) {
    std::optional<std::string> method = reader.string(item);
    if (!method) {
      ok = false;
    } else if (std::find(kMethods.begin(), kMethods.end(), *method) == kMethods.end()) {
      std::string hint = did_you_mean(*method, kMethods);
      if (hint.empty()) hint = fmt::format("the methods are: {}", fmt::join(kMethods, ", "));
      reader.error(item.mark, fmt::format("{}: unknown method '{}'", item.what, *method),
                   std::move(hint));
      ok = false;
    } else if (std::find(methods.begin(), methods.end(), *method) != methods.end()) {
      reader.error(item.mark, fmt::format("{}: {} is listed twice", item.what, *method));
      ok = false;
    } else {
      methods.push_back(std::move(*method));
    }
  }
  return ok;
}

namespace {

// One item of headers: or query:. Header names are tokens, kept in lower case; parameter names
// are compared with the decoded query, as written.
bool read_value_match(YamlReader& reader, const Value& value, bool header, ValueMatch& match) {
  static constexpr std::array<std::string_view, 5> kKeys{"name", "exact", "regex", "present",
                                                         "invert"};
  static constexpr std::array<std::string_view, 3> kKinds{"exact", "regex", "present"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return false;
  bool ok = true;
  if (std::optional<Value> name = reader.require(*map, "name")) {
    std::optional<std::string> text = reader.string(*name);
    if (!text) {
      ok = false;
    } else if (header && !is_token(*text)) {
      reader.error(name->mark, fmt::format("name: '{}' is not a header field name", *text));
      ok = false;
    } else if (text->empty()) {
      reader.error(name->mark, "name: a query parameter name cannot be empty");
      ok = false;
    } else {
      match.name = header ? to_lower(std::move(*text)) : std::move(*text);
    }
  } else {
    ok = false;
  }
  bool single = true;
  std::optional<Value> kind = read_one_of(reader, *map, kKinds, single);
  if (!single) return false;
  if (!kind) {
    // A key the reader dropped (a misspelt "exacts") was reported already, with a suggestion.
    const bool dropped = value.node.IsMap() && value.node.size() > map->fields().size();
    if (!dropped) {
      reader.error(value.mark, fmt::format("{}: give exact, regex or present", value.what),
                   fmt::format("e.g. {{ name: {}, present: true }}",
                               match.name.empty() ? "NAME" : match.name));
    }
    return false;
  }
  bool absent = false;
  if (kind->what == "exact") {
    match.kind = ValueMatchKind::kExact;
    std::optional<std::string> text = reader.string(*kind);
    if (text) match.value = std::move(*text);
    ok = ok && text.has_value();
  } else if (kind->what == "regex") {
    match.kind = ValueMatchKind::kRegex;
    std::optional<std::string> pattern = read_re2_pattern(reader, *kind);
    if (pattern) match.value = std::move(*pattern);
    ok = ok && pattern.has_value();
  } else {
    std::optional<bool> present = reader.boolean(*kind);
    absent = present.has_value() && !*present;
    ok = ok && present.has_value();
  }
  if (std::optional<Value> invert = map->get("invert")) {
    std::optional<bool> flag = reader.boolean(*invert);
    if (flag && *flag && absent) {
      reader.error(invert->mark, "invert: present: false already means absent",
                   "write present: false alone, or present: true with invert: true");
      return false;
    }
    if (flag) match.invert = *flag;
    ok = ok && flag.has_value();
  }
  if (absent) match.invert = true;
  return ok;
}

bool read_value_matches(YamlReader& reader, const Value& value, bool header,
                        std::vector<ValueMatch>& matches) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return false;
  bool ok = true;
  for (const Value& item : *items) {
    ValueMatch match;
    if (read_value_match(reader, item, header, match)) {
      matches.push_back(std::move(match));
    } else {
      ok = false;
    }
  }
  return ok;
}

bool read_networks(YamlReader& reader, const Value& value, std::vector<net::Cidr>& networks) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return false;
  if (items->empty()) {
    reader.error(value.mark, "networks: list at least one network, or leave networks out");
    return false;
  }
  bool ok = true;
  for (const Value& item : *items) {
    std::optional<net::Cidr> network = read_network(reader, item);
    if (network) networks.push_back(*network);
    ok = ok && network.has_value();
  }
  return ok;
}

bool has_conditions(const RouteMatch& match) {
  return !match.methods.empty() || !match.headers.empty() || !match.query.empty() ||
         !match.networks.empty();
}

std::string_view kind_name(PathMatchKind kind) {
  switch (kind) {
    case PathMatchKind::kPrefix:
      return "prefix";
    case PathMatchKind::kExact:
      return "exact";
    case PathMatchKind::kRegex:
      return "regex";
  }
  return "prefix";
}

std::string describe_match(const RouteMatch& match) {
  std::string text = fmt::format("{} {}", kind_name(match.path_kind), match.path);
  if (!match.methods.empty()) text += fmt::format(", methods {}", fmt::join(match.methods, " "));
  if (!match.headers.empty()) text += ", headers";
  if (!match.query.empty()) text += ", query";
  if (!match.networks.empty()) text += ", networks";
  return text;
}

// True when every path `later` matches, `earlier` matches too.
bool covers_paths(const RouteMatch& earlier, const RouteMatch& later) {
  switch (earlier.path_kind) {
    case PathMatchKind::kRegex:  // which paths two regexes share is beyond a config check
      return false;
    case PathMatchKind::kExact:
      return later.path_kind == PathMatchKind::kExact && later.path == earlier.path;
    case PathMatchKind::kPrefix:
      // Prefixes match by characters (router/path_tree.h): "/api" also takes "/apix".
      if (later.path_kind == PathMatchKind::kRegex) return earlier.path == "/";
      return later.path.starts_with(earlier.path);
  }
  return false;
}

bool same_value_match(const ValueMatch& a, const ValueMatch& b) {
  return a.name == b.name && a.kind == b.kind && a.value == b.value && a.invert == b.invert;
}

// True when every condition of `earlier` holds whenever all of `later`'s do: each of earlier's
// lists is empty (any), or later limits itself to part of it.
bool covers_conditions(const RouteMatch& earlier, const RouteMatch& later) {
  const auto within = [](const auto& narrow, const auto& wide, const auto& same) {
    if (wide.empty()) return true;
    if (narrow.empty()) return false;
    return std::all_of(narrow.begin(), narrow.end(), [&](const auto& item) {
      return std::any_of(wide.begin(), wide.end(),
                         [&](const auto& other) { return same(item, other); });
    });
  };
  // Header and query conditions all have to hold: later must repeat each of earlier's.
  const auto implied = [](const std::vector<ValueMatch>& required,
                          const std::vector<ValueMatch>& given) {
    return std::all_of(required.begin(), required.end(), [&](const ValueMatch& item) {
      return std::any_of(given.begin(), given.end(),
                         [&](const ValueMatch& other) { return same_value_match(item, other); });
    });
  };
  return within(later.methods, earlier.methods, std::equal_to<>{}) &&
         within(later.networks, earlier.networks,
                [](const net::Cidr& a, const net::Cidr& b) {
                  return a.to_string() == b.to_string();
                }) &&
         implied(earlier.headers, later.headers) && implied(earlier.query, later.query);
}

}  // namespace

bool read_match(YamlReader& reader, const Value& value, RouteMatch& match) {
  static constexpr std::array<std::string_view, 7> kKeys{"prefix",  "exact", "regex",   "methods",
                                                         "headers", "query", "networks"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return false;
  bool ok = read_path_match(reader, *map, match);
  if (std::optional<Value> methods = map->get("methods")) {
    ok = read_methods(reader, *methods, match.methods) && ok;
  }
  if (std::optional<Value> headers = map->get("headers")) {
    ok = read_value_matches(reader, *headers, /*header=*/true, match.headers) && ok;
  }
  if (std::optional<Value> query = map->get("query")) {
    ok = read_value_matches(reader, *query, /*header=*/false, match.query) && ok;
  }
  if (std::optional<Value> networks = map->get("networks")) {
    ok = read_networks(reader, *networks, match.networks) && ok;
  }
  return ok;
}

void check_shadowed_routes(YamlReader& reader, const VirtualHost& host) {
  for (std::size_t later = 1; later < host.routes.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const RouteMatch& first = host.routes[earlier].match;
      const Route& second = host.routes[later];
      if (!covers_paths(first, second.match) || !covers_conditions(first, second.match)) continue;
      const bool plain = !has_conditions(first) && !has_conditions(second.match);
      const int line = host.routes[earlier].mark.line;
      if (!has_conditions(first) && first.path_kind == PathMatchKind::kPrefix &&
          first.path == "/") {
        reader.error(second.mark,
                     fmt::format("this route ({}) can never match: the catch-all route at line {} "
                                 "(prefix /) comes before it",
                                 describe_match(second.match), line),
                     "move the catch-all route to the end of routes");
      } else {
        reader.error(second.mark,
                     fmt::format("this route ({}) can never match: the route at line {} ({}) "
                                 "comes before it and matches all its {}",
                                 describe_match(second.match), line, describe_match(first),
                                 plain ? "paths" : "requests"),
                     "put more specific routes first");
      }
      break;
    }
  }
}

}  // namespace bulwark::config::schema
