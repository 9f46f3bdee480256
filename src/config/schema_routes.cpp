// routes: what to match in a virtual host and what to do with a match.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "config/schema.h"
#include "config/suggest.h"

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
  if (exact) return read_path(reader, *exact, match.exact);
  if (prefix) return read_path(reader, *prefix, match.prefix);
  return true;  // {}: every path, as prefix "/"
}

void read_proxy(YamlReader& reader, const Value& value, const Config& config, ProxyAction& proxy) {
  static constexpr std::array<std::string_view, 1> kKeys{"cluster"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  std::optional<Value> cluster = reader.require(*map, "cluster");
  if (!cluster) return;
  std::optional<std::string> name = reader.string(*cluster);
  if (!name) return;
  std::vector<std::string_view> known;
  for (std::size_t i = 0; i < config.clusters.size(); ++i) {
    if (config.clusters[i].name == *name) {
      proxy.cluster = *name;
      proxy.cluster_index = i;
      return;
    }
    if (!config.clusters[i].name.empty()) known.push_back(config.clusters[i].name);
  }
  std::string hint = did_you_mean(*name, known);
  if (hint.empty()) {
    hint = known.empty() ? "define it under clusters:"
                         : fmt::format("the clusters are: {}", fmt::join(known, ", "));
  }
  reader.error(cluster->mark, fmt::format("cluster: cluster '{}' is not defined", *name),
               std::move(hint));
}

// Header fields bulwark writes itself from the body and the connection.
bool is_managed_header(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kManaged{"content-length", "transfer-encoding",
                                                            "connection", "keep-alive", "upgrade"};
  for (const std::string_view managed : kManaged) {
    if (name.size() != managed.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      equal = equal && lower == managed[i];
    }
    if (equal) return true;
  }
  return false;
}

void read_headers(YamlReader& reader, const Value& value, DirectResponseAction& response) {
  std::optional<MapView> map = reader.free_map(value);
  if (!map) return;
  for (const MapView::Field& field : map->fields()) {
    if (!is_token(field.key)) {
      reader.error(field.key_mark,
                   fmt::format("headers: '{}' is not a header field name", field.key));
      continue;
    }
    if (is_managed_header(field.key)) {
      reader.error(
          field.key_mark,
          fmt::format("headers: {} is set by bulwark, not by the configuration", field.key));
      continue;
    }
    std::optional<std::string> text = reader.string(field.value);
    if (!text) continue;
    // CR or LF would let a value start a new header line (response splitting).
    if (text->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      reader.error(field.value.mark,
                   fmt::format("{}: a header value cannot contain CR, LF or NUL", field.key));
      continue;
    }
    response.headers.emplace_back(field.key, std::move(*text));
  }
}

void read_direct_response(YamlReader& reader, const Value& value, DirectResponseAction& response) {
  static constexpr std::array<std::string_view, 3> kKeys{"status", "body", "headers"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  const std::optional<Value> status = map->get("status");
  if (status) {
    if (auto code = reader.integer(*status, 100, 599)) {
      response.status = static_cast<std::uint16_t>(*code);
    }
  }
  if (std::optional<Value> body = map->get("body")) {
    if (std::optional<std::string> text = reader.string(*body)) {
      response.body = std::move(*text);
      // RFC 9110 §6.4.1: these responses end at the header section.
      const std::uint16_t code = response.status;
      if (!response.body.empty() && (code < 200 || code == 204 || code == 304) && status) {
        reader.error(body->mark, fmt::format("body: a {} response cannot have a body", code));
      }
    }
  }
  if (std::optional<Value> headers = map->get("headers")) read_headers(reader, *headers, response);
}

std::string describe_match(const RouteMatch& match) {
  if (!match.exact.empty()) return fmt::format("exact {}", match.exact);
  return fmt::format("prefix {}", match.prefix);
}

// True when `earlier` matches every request `later` matches.
bool shadows(const RouteMatch& earlier, const RouteMatch& later) {
  if (!earlier.exact.empty()) return later.exact == earlier.exact;
  // Prefixes match by characters (router/router.cpp): "/api" also takes "/apix".
  const std::string& path = later.exact.empty() ? later.prefix : later.exact;
  return path.starts_with(earlier.prefix);
}

}  // namespace

bool read_route(YamlReader& reader, const Value& value, const Config& config, Route& route) {
  static constexpr std::array<std::string_view, 3> kKeys{"match", "proxy", "direct_response"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return false;
  route.mark = value.mark;
  bool match_ok = true;
  if (std::optional<Value> match = map->get("match")) {
    match_ok = read_match(reader, *match, route.match);
  }
  const std::optional<Value> proxy = map->get("proxy");
  const std::optional<Value> direct = map->get("direct_response");
  if (proxy && direct) {
    reader.error(direct->mark, fmt::format("{}: a route has one action: proxy or "
                                           "direct_response, not both",
                                           value.what));
  } else if (proxy) {
    ProxyAction action;
    read_proxy(reader, *proxy, config, action);
    route.action = std::move(action);
  } else if (direct) {
    DirectResponseAction action;
    read_direct_response(reader, *direct, action);
    route.action = std::move(action);
  } else {
    reader.error(value.mark, fmt::format("{}: the route has no action", value.what),
                 "add proxy: { cluster: NAME } or direct_response: { status: 200 }");
  }
  return match_ok;
}

void check_shadowed_routes(YamlReader& reader, const VirtualHost& host) {
  for (std::size_t later = 1; later < host.routes.size(); ++later) {
    for (std::size_t earlier = 0; earlier < later; ++earlier) {
      const Route& first = host.routes[earlier];
      const Route& second = host.routes[later];
      if (!shadows(first.match, second.match)) continue;
      const bool catch_all = first.match.exact.empty() && first.match.prefix == "/";
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
