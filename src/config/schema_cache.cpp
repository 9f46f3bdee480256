// cache: the cache filter of a virtual host or route (key, limits, stale content, collapsing,
// TTL rules, bypass, status fields, PURGE networks); cache_storage: the server's storage.

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::uint64_t kMaxObject = std::uint64_t{1} << 40;
constexpr Duration::rep kMaxTtl = 10LL * 365 * 24 * 3600 * 1000;  // ten years

void read_names(YamlReader& reader, const Value& value, std::vector<std::string>& names,
                bool lower) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) continue;
    if (!is_token(*text)) {
      reader.error(item.mark, fmt::format("{}: '{}' is not a valid name", item.what, *text));
      continue;
    }
    names.push_back(lower ? to_lower(std::move(*text)) : std::move(*text));
  }
}

void read_key(YamlReader& reader, const Value& value, cache::KeyRules& key) {
  static constexpr std::array<std::string_view, 4> kKeys{"query", "ignore_params", "headers",
                                                         "cookies"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> v = map->get("query")) {
    static constexpr std::array<std::string_view, 3> kQuery{"keep", "sort", "ignore"};
    if (std::optional<std::size_t> index = reader.choice(*v, kQuery)) {
      key.query = static_cast<cache::KeyRules::Query>(*index);
    }
  }
  if (std::optional<Value> v = map->get("ignore_params")) {
    read_names(reader, *v, key.ignore_params, false);
  }
  if (std::optional<Value> v = map->get("headers")) read_names(reader, *v, key.headers, true);
  if (std::optional<Value> v = map->get("cookies")) read_names(reader, *v, key.cookies, false);
}

// `ttl: { 200: 5m, 404: 30s }`: seconds per status code.
void read_status_ttls(YamlReader& reader, const Value& value,
                      std::vector<std::pair<std::uint16_t, std::int64_t>>& ttls) {
  std::optional<MapView> map = reader.free_map(value);
  if (!map) return;
  for (const MapView::Field& field : map->fields()) {
    unsigned status = 0;
    const auto [end, ec] =
        std::from_chars(field.key.data(), field.key.data() + field.key.size(), status);
    if (ec != std::errc{} || end != field.key.data() + field.key.size() || status < 200 ||
        status > 599) {
      reader.error(field.key_mark,
                   fmt::format("{}: '{}' is not a status code", field.value.what, field.key),
                   "write a final status code from 200 to 599");
      continue;
    }
    const std::optional<Duration> ttl =
        reader.duration(field.value, Duration{0}, Duration{kMaxTtl});
    if (ttl) ttls.emplace_back(static_cast<std::uint16_t>(status), ttl->count() / 1000);
  }
}

}  // namespace

void read_cache(YamlReader& reader, const Value& value, CacheSettings& cache) {
  static constexpr std::array<std::string_view, 12> kKeys{
      "key",        "max_object", "store_set_cookie", "serve_stale_on_error", "collapse_timeout",
      "ttl",        "min_ttl",    "bypass_headers",   "bypass_cookies",       "status_header",
      "hit_header", "purge_from"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> v = map->get("key")) read_key(reader, *v, cache.key);
  if (std::optional<Value> v = map->get("max_object")) {
    if (auto bytes = reader.size(*v, 1, kMaxObject)) cache.max_object = *bytes;
  }
  if (std::optional<Value> v = map->get("store_set_cookie")) {
    if (auto flag = reader.boolean(*v)) cache.store_set_cookie = *flag;
  }
  if (std::optional<Value> v = map->get("serve_stale_on_error")) {
    if (auto flag = reader.boolean(*v)) cache.serve_stale_on_error = *flag;
  }
  if (std::optional<Value> v = map->get("collapse_timeout")) {
    if (auto timeout = reader.duration(*v, Duration{1}, Duration{600'000})) {
      cache.collapse_timeout = *timeout;
    }
  }
  if (std::optional<Value> v = map->get("ttl")) read_status_ttls(reader, *v, cache.ttl);
  if (std::optional<Value> v = map->get("min_ttl")) read_status_ttls(reader, *v, cache.min_ttl);
  if (std::optional<Value> v = map->get("bypass_headers")) {
    read_names(reader, *v, cache.bypass_headers, true);
  }
  if (std::optional<Value> v = map->get("bypass_cookies")) {
    read_names(reader, *v, cache.bypass_cookies, false);
  }
  for (const auto& [key, field] : {std::pair{"status_header", &cache.status_header},
                                   std::pair{"hit_header", &cache.hit_header}}) {
    const std::optional<Value> v = map->get(key);
    if (!v) continue;
    std::optional<std::string> name = reader.string(*v);
    if (!name) continue;
    if (!name->empty() && !is_token(*name)) {
      reader.error(v->mark, fmt::format("{}: '{}' is not a header field name", v->what, *name));
      continue;
    }
    *field = to_lower(std::move(*name));
  }
  if (std::optional<Value> v = map->get("purge_from")) {
    if (std::optional<std::vector<Value>> items = reader.list(*v)) {
      for (const Value& item : *items) {
        if (std::optional<net::Cidr> network = read_network(reader, item)) {
          cache.purge_from.push_back(*network);
        }
      }
    }
  }
}

void read_cache_storage(YamlReader& reader, const Value& value, CacheStorage& storage) {
  static constexpr std::array<std::string_view, 1> kKeys{"memory"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> v = map->get("memory")) {
    // At least a megabyte: the sixteen shards each need room for a few objects.
    if (auto bytes = reader.size(*v, std::uint64_t{1} << 20, kMaxObject)) storage.memory = *bytes;
  }
}

}  // namespace bulwark::config::schema
