// routes: what to match in a virtual host and what to do with a match.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "config/schema.h"
#include "config/suggest.h"

namespace bulwark::config::schema {
namespace {

void read_cluster_reference(YamlReader& reader, const Value& value, const Config& config,
                            ProxyAction& proxy) {
  std::optional<std::string> name = reader.string(value);
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
  reader.error(value.mark, fmt::format("cluster: cluster '{}' is not defined", *name),
               std::move(hint));
}

void read_regex_rewrite(YamlReader& reader, const Value& value, ProxyAction& proxy) {
  static constexpr std::array<std::string_view, 2> kKeys{"pattern", "substitution"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  std::optional<Value> pattern = reader.require(*map, "pattern");
  std::optional<Value> substitution = reader.require(*map, "substitution");
  if (!pattern || !substitution) return;
  std::optional<std::string> regex = read_re2_pattern(reader, *pattern);
  std::optional<std::string> replacement = reader.string(*substitution);
  if (!regex || !replacement) return;
  std::string why;
  if (!check_substitution(*regex, *replacement, why)) {
    reader.error(substitution->mark, fmt::format("substitution: {}", why));
    return;
  }
  proxy.regex_rewrite = ProxyAction::RegexRewrite{std::move(*regex), std::move(*replacement)};
}

void read_upstream_timeouts(YamlReader& reader, const Value& value, UpstreamTimeouts& timeouts) {
  static constexpr std::array<std::string_view, 3> kKeys{"connect", "read", "write"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  constexpr Duration kDay{24 * 3'600'000};
  const std::array<std::optional<Duration>*, 3> targets{&timeouts.connect, &timeouts.read,
                                                        &timeouts.write};
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (std::optional<Value> v = map->get(kKeys[i])) {
      *targets[i] = reader.duration(*v, Duration{1}, kDay);
    }
  }
}

// websocket: off | { enabled, allowed_origins: [https://app.example], idle_timeout: 10m }
void read_websocket(YamlReader& reader, const Value& value, WebSocketSettings& websocket) {
  static constexpr std::array<std::string_view, 3> kKeys{"enabled", "allowed_origins",
                                                         "idle_timeout"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) {
    websocket.enabled = false;
    return;
  }
  if (!map) return;
  if (std::optional<Value> enabled = map->get("enabled")) {
    websocket.enabled = reader.boolean(*enabled).value_or(true);
  }
  if (std::optional<Value> origins = map->get("allowed_origins")) {
    for (const Value& item : reader.list(*origins).value_or(std::vector<Value>{})) {
      if (std::optional<std::string> origin = reader.string(item)) {
        websocket.allowed_origins.push_back(std::move(*origin));
      }
    }
  }
  if (std::optional<Value> idle = map->get("idle_timeout")) {
    constexpr Duration kDay{24 * 3'600'000};
    websocket.idle_timeout =
        reader.duration(*idle, Duration{1}, kDay).value_or(websocket.idle_timeout);
  }
}

void read_proxy(YamlReader& reader, const Value& value, const Config& config,
                const RouteMatch& match, ProxyAction& proxy) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "cluster",  "prefix_rewrite", "regex_rewrite", "host_rewrite",
      "timeouts", "retry",          "websocket"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> cluster = reader.require(*map, "cluster")) {
    read_cluster_reference(reader, *cluster, config, proxy);
  }
  const std::optional<Value> prefix = map->get("prefix_rewrite");
  const std::optional<Value> regex = map->get("regex_rewrite");
  if (prefix && regex) {
    reader.error(regex->mark, "regex_rewrite: give prefix_rewrite or regex_rewrite, not both");
  } else if (prefix) {
    proxy.prefix_rewrite = read_prefix_rewrite(reader, *prefix, match);
  } else if (regex) {
    read_regex_rewrite(reader, *regex, proxy);
  }
  if (std::optional<Value> host = map->get("host_rewrite")) {
    if (std::optional<std::string> text = reader.string(*host)) {
      // A host name with an optional port, as a Host header carries.
      if (text->find_first_of(" /\\?#@\r\n\t") != std::string::npos || text->empty()) {
        reader.error(host->mark, fmt::format("host_rewrite: '{}' is not a host", *text),
                     "write a host name, optionally with a port: api.internal or api:8080");
      } else {
        proxy.host_rewrite = std::move(*text);
      }
    }
  }
  if (std::optional<Value> timeouts = map->get("timeouts")) {
    read_upstream_timeouts(reader, *timeouts, proxy.timeouts);
  }
  if (std::optional<Value> retry = map->get("retry")) {
    // Keys the route leaves out keep the cluster's values.
    RetryPolicy policy =
        proxy.cluster.empty() ? RetryPolicy{} : config.clusters[proxy.cluster_index].retry;
    read_retry_policy(reader, *retry, policy);
    proxy.retry = std::move(policy);
  }
  if (std::optional<Value> websocket = map->get("websocket")) {
    read_websocket(reader, *websocket, proxy.websocket);
  }
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

bool read_route(YamlReader& reader, const Value& value, const Config& config,
                const Listener& listener, Route& route) {
  static constexpr std::array<std::string_view, 8> kKeys{
      "name",     "match",  "proxy",   "direct_response",
      "redirect", "static", "filters", "require_client_certificate"};
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
  if (std::optional<Value> required = map->get("require_client_certificate")) {
    read_require_client_certificate(reader, *required, listener, route);
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
