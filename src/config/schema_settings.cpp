// The top-level settings: workers, limits, timeouts, forwarding, request_id, access_log,
// error_log, control_socket.

#include <fmt/format.h>
#include <sys/un.h>

#include <array>
#include <limits>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr unsigned kMaxWorkers = 1024;

// Reads one key of `map` with `read` when present and stores it; a bad value leaves the default.
template <class Read, class Store>
void read_key(const MapView& map, std::string_view key, Read read, Store store) {
  if (std::optional<Value> value = map.get(key)) {
    if (auto parsed = read(*value)) store(*parsed);
  }
}

}  // namespace

void read_workers(YamlReader& reader, const Value& value, Config& config) {
  std::optional<std::string> text = reader.scalar(value, "auto or a number");
  if (!text) return;
  if (*text == "auto") {
    config.workers = 0;  // one per core
    return;
  }
  if (text->empty() || text->front() < '0' || text->front() > '9') {
    reader.error(value.mark,
                 fmt::format("workers: expected auto or a number from 1 to {}, got '{}'",
                             kMaxWorkers, *text));
    return;
  }
  if (auto workers = reader.integer(value, 1, kMaxWorkers)) {
    config.workers = static_cast<unsigned>(*workers);
  }
}

void read_limits(YamlReader& reader, const Value& value, Limits& limits) {
  static constexpr std::array<std::string_view, 6> kKeys{
      "max_request_line", "max_header_bytes",       "max_header_count",
      "max_body_bytes",   "max_connections_per_ip", "buffer_size"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  // Cross-checks compare only values that were read cleanly (or left at their default).
  bool request_line_ok = true;
  bool header_bytes_ok = true;
  bool buffer_ok = true;
  auto size = [&reader](std::uint64_t min, std::uint64_t max, bool& ok) {
    return [&reader, &ok, min, max](const Value& v) {
      auto bytes = reader.size(v, min, max);
      ok = bytes.has_value();
      return bytes;
    };
  };
  auto count = [&reader](std::uint64_t min, std::uint64_t max) {
    return [&reader, min, max](const Value& v) { return reader.integer(v, min, max); };
  };
  bool body_ok = true;  // nothing depends on it
  read_key(*map, "max_request_line", size(64, 1 * kMiB, request_line_ok),
           [&](std::uint64_t v) { limits.max_request_line = v; });
  read_key(*map, "max_header_bytes", size(1 * kKiB, 1 * kMiB, header_bytes_ok),
           [&](std::uint64_t v) { limits.max_header_bytes = v; });
  read_key(*map, "max_header_count", count(1, 10'000),
           [&](std::uint64_t v) { limits.max_header_count = v; });
  read_key(*map, "max_body_bytes", size(0, std::numeric_limits<std::uint64_t>::max(), body_ok),
           [&](std::uint64_t v) { limits.max_body_bytes = v; });
  read_key(*map, "max_connections_per_ip", count(0, 1'000'000),
           [&](std::uint64_t v) { limits.max_connections_per_ip = v; });
  read_key(*map, "buffer_size", size(1 * kKiB, 16 * kMiB, buffer_ok),
           [&](std::uint64_t v) { limits.buffer_size = v; });

  // The parser keeps a whole request head in one buffer, so the head limit must fit in it.
  if (buffer_ok && header_bytes_ok && limits.buffer_size < limits.max_header_bytes) {
    const std::optional<Value> at =
        map->get("buffer_size") ? map->get("buffer_size") : map->get("max_header_bytes");
    reader.error(at ? at->mark : map->mark(),
                 fmt::format("buffer_size ({}) is smaller than max_header_bytes ({})",
                             format_size(limits.buffer_size), format_size(limits.max_header_bytes)),
                 fmt::format("a request head must fit in one buffer: raise buffer_size to at "
                             "least {} or lower max_header_bytes",
                             format_size(limits.max_header_bytes)));
  }
  if (request_line_ok && header_bytes_ok && limits.max_request_line > limits.max_header_bytes) {
    const std::optional<Value> at =
        map->get("max_request_line") ? map->get("max_request_line") : map->get("max_header_bytes");
    reader.error(
        at ? at->mark : map->mark(),
        fmt::format("max_request_line ({}) is larger than max_header_bytes ({})",
                    format_size(limits.max_request_line), format_size(limits.max_header_bytes)),
        "the request line is part of the head that max_header_bytes limits");
  }
}

void read_timeouts(YamlReader& reader, const Value& value, Timeouts& timeouts) {
  static constexpr std::array<std::string_view, 8> kKeys{
      "header_read",      "body_read",     "idle",           "send",
      "upstream_connect", "upstream_read", "upstream_write", "drain"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  constexpr Duration kDay{24 * 3'600'000};
  const std::array<Duration*, 8> targets{&timeouts.header_read,
                                         &timeouts.body_read,
                                         &timeouts.idle,
                                         &timeouts.send,
                                         &timeouts.upstream_connect,
                                         &timeouts.upstream_read,
                                         &timeouts.upstream_write,
                                         &timeouts.drain};
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    // Zero would mean "time out at once" everywhere except drain, where it means "do not wait".
    const Duration min{kKeys[i] == "drain" ? 0 : 1};
    read_key(
        *map, kKeys[i], [&](const Value& v) { return reader.duration(v, min, kDay); },
        [&](Duration d) { *targets[i] = d; });
  }
}

void read_forwarding(YamlReader& reader, const Value& value, Forwarding& forwarding) {
  static constexpr std::array<std::string_view, 4> kKeys{"trusted_networks", "via", "x_forwarded",
                                                         "forwarded"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> networks = map->get("trusted_networks")) {
    if (auto items = reader.list(*networks)) {
      for (const Value& item : *items) {
        if (std::optional<net::Cidr> cidr = read_network(reader, item)) {
          forwarding.trusted_networks.push_back(*cidr);
        }
      }
    }
  }
  if (std::optional<Value> via = map->get("via")) {
    if (std::optional<std::string> text = reader.string(*via)) {
      // A Via pseudonym is a token (RFC 9110 §7.6.3); empty turns the header off.
      if (!text->empty() && !is_token(*text)) {
        reader.error(via->mark, fmt::format("via: '{}' is not a valid pseudonym", *text),
                     "use letters, digits and -._~ (no spaces), or \"\" for no Via header");
      } else {
        forwarding.via = *text;
      }
    }
  }
  read_key(
      *map, "x_forwarded", [&](const Value& v) { return reader.boolean(v); },
      [&](bool b) { forwarding.x_forwarded = b; });
  read_key(
      *map, "forwarded", [&](const Value& v) { return reader.boolean(v); },
      [&](bool b) { forwarding.forwarded = b; });
}

void read_request_id(YamlReader& reader, const Value& value, RequestId& request_id) {
  static constexpr std::array<std::string_view, 1> kKeys{"header"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  std::optional<Value> header = map->get("header");
  if (!header) return;
  std::optional<std::string> name = reader.string(*header);
  if (!name) return;
  if (!is_token(*name)) {
    reader.error(header->mark, fmt::format("header: '{}' is not a header field name", *name),
                 "e.g. x-request-id");
    return;
  }
  // Field names are case-insensitive; one spelling keeps lookups simple.
  request_id.header = to_lower(*name);
}

void read_access_log(YamlReader& reader, const Value& value, AccessLog& access_log) {
  if (value.node.IsScalar()) {
    if (value.node.Scalar() == "off") {
      access_log.path.clear();
      return;
    }
    reader.error(value.mark,
                 fmt::format("access_log: expected a map or off, got '{}'", value.node.Scalar()),
                 "write access_log: { path: /var/log/bulwark/access.log } (or path: \"-\" for "
                 "standard output)");
    return;
  }
  static constexpr std::array<std::string_view, 2> kKeys{"path", "format"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> path = reader.require(*map, "path")) {
    if (std::optional<std::string> text = reader.string(*path)) access_log.path = *text;
  }
  static constexpr std::array<std::string_view, 2> kFormats{"combined", "json"};
  read_key(
      *map, "format", [&](const Value& v) { return reader.choice(v, kFormats); },
      [&](std::size_t i) {
        access_log.format = i == 0 ? AccessLogFormat::kCombined : AccessLogFormat::kJson;
      });
}

void read_error_log(YamlReader& reader, const Value& value, ErrorLog& error_log) {
  static constexpr std::array<std::string_view, 2> kKeys{"path", "level"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  read_key(
      *map, "path", [&](const Value& v) { return reader.string(v); },
      [&](const std::string& path) { error_log.path = path; });
  // Same order as LogLevel.
  static constexpr std::array<std::string_view, 6> kLevels{"trace", "debug", "info",
                                                           "warn",  "error", "off"};
  read_key(
      *map, "level", [&](const Value& v) { return reader.choice(v, kLevels); },
      [&](std::size_t i) { error_log.level = static_cast<LogLevel>(i); });
}

void read_control_socket(YamlReader& reader, const Value& value, std::string& path) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return;
  // bind(2) would fail at start, or truncate the name on some systems: say so at load instead.
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (text->size() > kMaxPath) {
    reader.error(value.mark,
                 fmt::format("{}: the path is {} bytes long; a Unix socket path holds at most {}",
                             value.what, text->size(), kMaxPath),
                 "choose a shorter path, such as /run/bulwark/control.sock");
    return;
  }
  path = std::move(*text);
}

}  // namespace bulwark::config::schema
