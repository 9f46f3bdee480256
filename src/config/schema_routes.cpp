// routes: what to match in a virtual host and what to do with a match.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "config/schema.h"
#include "config/suggest.h"

namespace bulwark::config::schema {
namespace {

void read_proxy(YamlReader& reader, const Value& value, const Config& config,
                const RouteMatch& /*match*/, ProxyAction& proxy) {
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
    if (has_line_break(*text)) {
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

}  // namespace

bool read_route(YamlReader& reader, const Value& value, const Config& config, Route& route) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "name", "match", "proxy", "direct_response", "redirect", "static", "filters"};
  static constexpr std::array<std::string_view, 4> kActions{"proxy", "direct_response", "redirect",
                                                            "static"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return false;
  route.mark = value.mark;
  if (std::optional<Value> name = map->get("name")) {
    if (std::optional<std::string> text = read_name(reader, *name)) route.name = std::move(*text);
  }
  bool match_ok = true;
  if (std::optional<Value> match = map->get("match")) {
    match_ok = read_match(reader, *match, route.match);
  }
  if (std::optional<Value> filters = map->get("filters")) {
    route.filters.emplace();
    read_filter_list(reader, *filters, config, *route.filters);
  }
  std::optional<Value> action;
  for (const std::string_view key : kActions) {
    std::optional<Value> found = map->get(key);
    if (!found) continue;
    if (action) {
      reader.error(found->mark,
                   fmt::format("{}: a route has one action; {} and {} are both given", value.what,
                               action->what, found->what),
                   "keep one of proxy, redirect, direct_response, static");
      return match_ok;
    }
    action = std::move(found);
  }
  if (!action) {
    reader.error(value.mark, fmt::format("{}: the route has no action", value.what),
                 "add proxy: { cluster: NAME }, redirect: {...}, direct_response: { status: 200 } "
                 "or static: { root: DIR }");
  } else if (action->what == "proxy") {
    ProxyAction proxy;
    read_proxy(reader, *action, config, route.match, proxy);
    route.action = std::move(proxy);
  } else if (action->what == "direct_response") {
    DirectResponseAction response;
    read_direct_response(reader, *action, response);
    route.action = std::move(response);
  } else if (action->what == "redirect") {
    RedirectAction redirect;
    read_redirect(reader, *action, route.match, redirect);
    route.action = std::move(redirect);
  } else {
    StaticAction files;
    read_static(reader, *action, route.match, files);
    route.action = std::move(files);
  }
  return match_ok;
}

}  // namespace bulwark::config::schema
