// redirect: send the client to another URL.

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

// A host name for a Location: letters, digits, '-', '.', or a bracketed IPv6 literal.
bool is_location_host(std::string_view host) {
  if (host.starts_with('[')) return host.ends_with(']') && host.size() > 2;
  if (host.empty()) return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A path (with an optional query) to put in a Location: absolute, no spaces or controls.
bool is_location_path(std::string_view path) {
  if (!path.starts_with('/')) return false;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '#') return false;
  }
  return true;
}

}  // namespace

void read_redirect(YamlReader& reader, const Value& value, const RouteMatch& match,
                   RedirectAction& redirect) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "status", "scheme", "host", "port", "path", "prefix_rewrite", "strip_query"};
  static constexpr std::array<std::string_view, 2> kSchemes{"http", "https"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> status = map->get("status")) {
    if (std::optional<std::uint64_t> code = reader.integer(*status, 301, 308)) {
      if (*code == 304 || *code == 305 || *code == 306) {
        reader.error(status->mark, fmt::format("status: {} is not a redirect status", *code),
                     "use 301, 302, 303, 307 or 308");
      } else {
        redirect.status = static_cast<std::uint16_t>(*code);
      }
    }
  }
  if (std::optional<Value> scheme = map->get("scheme")) {
    if (std::optional<std::size_t> index = reader.choice(*scheme, kSchemes)) {
      redirect.scheme = kSchemes[*index];
    }
  }
  if (std::optional<Value> host = map->get("host")) {
    if (std::optional<std::string> text = reader.string(*host)) {
      if (is_location_host(*text)) {
        redirect.host = to_lower(std::move(*text));
      } else {
        reader.error(host->mark, fmt::format("host: '{}' is not a host name", *text),
                     "no scheme, port or path here: use scheme:, port: and path:");
      }
    }
  }
  if (std::optional<Value> port = map->get("port")) {
    if (std::optional<std::uint64_t> number = reader.integer(*port, 1, 65535)) {
      redirect.port = static_cast<std::uint16_t>(*number);
    }
  }
  const std::optional<Value> path = map->get("path");
  const std::optional<Value> prefix = map->get("prefix_rewrite");
  if (path && prefix) {
    reader.error(prefix->mark, "prefix_rewrite: give path or prefix_rewrite, not both");
  } else if (path) {
    if (std::optional<std::string> text = reader.string(*path)) {
      if (is_location_path(*text)) {
        redirect.path = std::move(*text);
      } else {
        reader.error(path->mark, fmt::format("path: '{}' is not an absolute path", *text),
                     "start with '/'; no spaces, control characters or fragment");
      }
    }
  } else if (prefix) {
    redirect.prefix_rewrite = read_prefix_rewrite(reader, *prefix, match);
  }
  if (std::optional<Value> strip = map->get("strip_query")) {
    if (std::optional<bool> flag = reader.boolean(*strip)) redirect.strip_query = *flag;
  }
}

}  // namespace bulwark::config::schema
