// health_check: a cluster's active health check (HTTP request or TCP connect).

#include <fmt/format.h>

#include <array>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

constexpr std::string_view kKindHint =
    "e.g. health_check: { http: { path: /healthz } } or "
    "health_check: { tcp: {} }";
constexpr Duration kMinInterval{100};
constexpr Duration kHour{3'600'000};
constexpr std::uint64_t kMaxThreshold = 100;
constexpr std::uint16_t kMinStatus = 100;
constexpr std::uint16_t kMaxStatus = 599;
// The probe reads at most this much of a body to look for `body`, so the text must fit in it.
constexpr std::size_t kMaxBodyMatch = 4096;

// A request-target in origin form as sent on the request line: '/' then visible ASCII, no
// fragment.
bool is_origin_form(std::string_view path) {
  if (!path.starts_with('/')) return false;
  return std::ranges::all_of(path, [](char c) { return c > ' ' && c < '\x7f' && c != '#'; });
}

// A host name, IPv4 or bracketed IPv6 address, with an optional port.
bool is_host(std::string_view host) {
  if (host.empty()) return false;
  return std::ranges::all_of(host, [](char c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || std::string_view("-._:[]").find(c) != std::string_view::npos;
  });
}

std::optional<std::uint16_t> parse_status(std::string_view text) {
  auto number = parse_decimal(text);
  if (!number || *number < kMinStatus || *number > kMaxStatus) return std::nullopt;
  return static_cast<std::uint16_t>(*number);
}

// 200, 200-299 or 2xx.
std::optional<StatusRange> read_status_range(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.scalar(value, "a status or a range such as 200-299");
  if (!text) return std::nullopt;
  std::optional<StatusRange> range;
  const std::string_view view(*text);
  if (view.size() == 3 && view.substr(1) == "xx" && view[0] >= '1' && view[0] <= '5') {
    const auto hundreds = static_cast<std::uint16_t>((view[0] - '0') * 100);
    range = StatusRange{hundreds, static_cast<std::uint16_t>(hundreds + 99)};
  } else if (const std::size_t dash = view.find('-'); dash != std::string_view::npos) {
    const auto low = parse_status(view.substr(0, dash));
    const auto high = parse_status(view.substr(dash + 1));
    if (low && high && *low <= *high) range = StatusRange{*low, *high};
  } else if (const auto status = parse_status(view)) {
    range = StatusRange{*status, *status};
  }
  if (!range) {
    reader.error(value.mark,
                 fmt::format("{}: '{}' is not a status or a range of statuses from 100 to 599",
                             value.what, *text),
                 "e.g. expect_status: [200-299, 304] or [2xx, 3xx]");
  }
  return range;
}

void read_expect_status(YamlReader& reader, const Value& value, std::vector<StatusRange>& ranges) {
  std::vector<Value> items;
  if (value.node.IsSequence()) {
    std::optional<std::vector<Value>> list = reader.list(value);
    if (!list) return;
    items = std::move(*list);
  } else {
    items.push_back(value);
  }
  if (items.empty()) {
    reader.error(value.mark, "expect_status: no status would pass",
                 "list at least one, e.g. expect_status: [200-299]");
    return;
  }
  std::vector<StatusRange> read;
  for (const Value& item : items) {
    if (std::optional<StatusRange> range = read_status_range(reader, item)) read.push_back(*range);
  }
  if (read.size() == items.size()) ranges = std::move(read);
}

std::optional<HealthCheck::Http> read_http(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 5> kKeys{"path", "method", "host", "expect_status",
                                                         "body"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  HealthCheck::Http http;
  if (std::optional<Value> path = map->get("path")) {
    if (std::optional<std::string> text = reader.string(*path)) {
      if (is_origin_form(*text)) {
        http.path = std::move(*text);
      } else {
        reader.error(path->mark,
                     fmt::format("path: '{}' is not a path starting with '/' without spaces, "
                                 "control characters or '#'",
                                 *text),
                     "e.g. path: /healthz; percent-encode other characters");
      }
    }
  }
  if (std::optional<Value> method = map->get("method")) {
    if (std::optional<std::string> text = reader.string(*method)) {
      if (is_token(*text)) {
        http.method = std::move(*text);
      } else {
        reader.error(method->mark, fmt::format("method: '{}' is not a method", *text),
                     "e.g. method: GET or method: HEAD");
      }
    }
  }
  if (std::optional<Value> host = map->get("host")) {
    if (std::optional<std::string> text = reader.string(*host)) {
      if (is_host(*text)) {
        http.host = std::move(*text);
      } else {
        reader.error(host->mark, fmt::format("host: '{}' is not a host name", *text),
                     "e.g. host: api.example.com or host: 10.0.0.1:8080");
      }
    }
  }
  if (std::optional<Value> expect = map->get("expect_status")) {
    read_expect_status(reader, *expect, http.expect_status);
  }
  if (std::optional<Value> body = map->get("body")) {
    if (std::optional<std::string> text = reader.string(*body)) {
      if (text->empty() || text->size() > kMaxBodyMatch) {
        reader.error(
            body->mark,
            fmt::format("body: give from 1 to {} characters the body must contain", kMaxBodyMatch));
      } else if (http.method == "HEAD") {
        reader.error(body->mark, "body: a response to HEAD has no body to match",
                     "use method: GET, or remove body");
      } else {
        http.body = std::move(*text);
      }
    }
  }
  return http;
}

// N% of the interval, or a duration up to the interval.
std::optional<Duration> read_jitter(YamlReader& reader, const Value& value, Duration interval) {
  if (value.node.IsScalar() && value.node.Scalar().ends_with('%')) {
    std::optional<std::string> text = reader.scalar(value, "a share such as 10%");
    if (!text) return std::nullopt;
    auto percent = parse_decimal(std::string_view(*text).substr(0, text->size() - 1));
    if (!percent || *percent > 100) {
      reader.error(value.mark, fmt::format("jitter: '{}' is not a share from 0% to 100%", *text));
      return std::nullopt;
    }
    return interval * static_cast<Duration::rep>(*percent) / 100;
  }
  std::optional<Duration> jitter = reader.duration(value, Duration{0}, kHour);
  if (jitter && *jitter > interval) {
    reader.error(value.mark,
                 fmt::format("jitter: {} is more than the interval ({})", format_duration(*jitter),
                             format_duration(interval)),
                 "a share such as jitter: 10% stays within the interval");
    return std::nullopt;
  }
  return jitter;
}

}  // namespace

std::optional<HealthCheck> read_health_check(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 7> kKeys{"http",   "tcp",  "interval", "timeout",
                                                         "jitter", "rise", "fall"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  HealthCheck check;
  bool ok = true;
  const std::optional<Value> http = map->get("http");
  const std::optional<Value> tcp = map->get("tcp");
  if (http.has_value() == tcp.has_value()) {
    reader.error(http && tcp ? tcp->mark : value.mark,
                 "health_check: give exactly one of http, tcp", std::string(kKindHint));
    ok = false;
  } else if (http) {
    check.http = read_http(reader, *http);
    ok = check.http.has_value();
  } else if (!tcp->node.IsNull() && !(tcp->node.IsMap() && tcp->node.size() == 0)) {
    reader.error(tcp->mark, "tcp: a TCP check has no settings; it passes when a connection opens",
                 "write tcp: {}");
    ok = false;
  }
  if (std::optional<Value> interval = map->get("interval")) {
    const std::optional<Duration> d = reader.duration(*interval, kMinInterval, kHour);
    if (d) check.interval = *d;
    ok = ok && d.has_value();
  }
  if (std::optional<Value> timeout = map->get("timeout")) {
    const std::optional<Duration> d = reader.duration(*timeout, Duration{1}, kHour);
    if (d) check.timeout = *d;
    ok = ok && d.has_value();
  }
  if (std::optional<Value> jitter = map->get("jitter")) {
    const std::optional<Duration> d = read_jitter(reader, *jitter, check.interval);
    if (d) check.jitter = *d;
    ok = ok && d.has_value();
  }
  for (const auto& [key, threshold] :
       {std::pair{"rise", &check.rise}, std::pair{"fall", &check.fall}}) {
    if (std::optional<Value> count = map->get(key)) {
      const std::optional<std::uint64_t> n = reader.integer(*count, 1, kMaxThreshold);
      if (n) *threshold = static_cast<std::uint32_t>(*n);
      ok = ok && n.has_value();
    }
  }
  if (!ok) return std::nullopt;
  return check;
}

}  // namespace bulwark::config::schema
