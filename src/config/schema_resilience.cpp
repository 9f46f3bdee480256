// Cluster resilience: outlier detection, slow start, the panic threshold, circuit breaking, and
// the retry policy (which a route's proxy may replace).

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "config/schema.h"
#include "config/suggest.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

constexpr std::uint64_t kMaxCount = 1'000'000;
constexpr std::uint64_t kMaxRetries = 10;
constexpr std::uint64_t kMaxRetryBody = std::uint64_t{16} * 1024 * 1024;
constexpr Duration kMinute{60'000};
constexpr Duration kHour{3'600'000};
constexpr Duration kDay{24 * 3'600'000};

constexpr std::array<std::string_view, 3> kConditions{"connect_failure", "reset", "timeout"};
constexpr std::string_view kConditionList = "connect_failure, reset, timeout, 429, 500-599";

// Reads `key` of `map` into `target` when present. False after a mistake in it, so that checks
// across keys skip a value that was never read.
template <class T, class Read>
bool read_into(const MapView& map, std::string_view key, T& target, Read read) {
  std::optional<Value> value = map.get(key);
  if (!value) return true;
  auto parsed = read(*value);
  if (!parsed) return false;
  target = static_cast<T>(*parsed);
  return true;
}

auto count(YamlReader& reader, std::uint64_t max) {
  return [&reader, max](const Value& value) { return reader.integer(value, 0, max); };
}

auto duration(YamlReader& reader, Duration min, Duration max) {
  return [&reader, min, max](const Value& value) { return reader.duration(value, min, max); };
}

// N or N%, a whole number from `min` to 100.
std::optional<std::uint32_t> read_percent(YamlReader& reader, const Value& value,
                                          std::uint32_t min) {
  std::optional<std::string> text = reader.scalar(value, "a percentage such as 50%");
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  if (digits.ends_with('%')) digits.remove_suffix(1);
  const auto number = parse_decimal(digits);
  if (!number || *number < min || *number > 100) {
    reader.error(
        value.mark,
        fmt::format("{}: '{}' is not a percentage from {}% to 100%", value.what, *text, min),
        "write a whole number, with or without '%': 50 or 50%");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*number);
}

auto percent(YamlReader& reader, std::uint32_t min) {
  return [&reader, min](const Value& value) { return read_percent(reader, value, min); };
}

// `low` must not be above `high`. Reported at `high_key` when the map has it (the later one
// usually), else at `low_key`; nothing when the map has neither (both were checked where set).
void check_order(YamlReader& reader, const MapView& map, std::string_view low_key, Duration low,
                 std::string_view high_key, Duration high, std::string_view hint) {
  if (low <= high) return;
  if (std::optional<Value> high_value = map.get(high_key)) {
    reader.error(high_value->mark,
                 fmt::format("{}: {} is less than {} ({})", high_key, format_duration(high),
                             low_key, format_duration(low)),
                 std::string(hint));
  } else if (std::optional<Value> low_value = map.get(low_key)) {
    reader.error(low_value->mark,
                 fmt::format("{}: {} is more than {} ({})", low_key, format_duration(low), high_key,
                             format_duration(high)),
                 std::string(hint));
  }
}

void read_outlier_detection(YamlReader& reader, const Value& value, OutlierDetection& detection) {
  static constexpr std::array<std::string_view, 5> kKeys{
      "consecutive_5xx", "consecutive_gateway_errors", "base_ejection_time", "max_ejection_time",
      "max_ejection_percent"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) {
    detection.consecutive_5xx = 0;
    detection.consecutive_gateway_errors = 0;
  }
  if (!map) return;
  read_into(*map, "consecutive_5xx", detection.consecutive_5xx, count(reader, kMaxCount));
  read_into(*map, "consecutive_gateway_errors", detection.consecutive_gateway_errors,
            count(reader, kMaxCount));
  const bool base_ok = read_into(*map, "base_ejection_time", detection.base_ejection_time,
                                 duration(reader, Duration{1}, kDay));
  const bool max_ok = read_into(*map, "max_ejection_time", detection.max_ejection_time,
                                duration(reader, Duration{1}, kDay));
  if (base_ok && max_ok) {
    check_order(reader, *map, "base_ejection_time", detection.base_ejection_time,
                "max_ejection_time", detection.max_ejection_time,
                "the nth ejection in a row lasts n x base_ejection_time, up to max_ejection_time");
  }
  read_into(*map, "max_ejection_percent", detection.max_ejection_percent, percent(reader, 0));
}

void read_slow_start(YamlReader& reader, const Value& value, Cluster& cluster) {
  static constexpr std::array<std::string_view, 2> kKeys{"window", "min_percent"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) cluster.slow_start = Duration{0};
  if (!map) return;
  // Without a window the rest would change nothing.
  if (!reader.require(*map, "window")) return;
  read_into(*map, "window", cluster.slow_start, duration(reader, Duration{1}, kHour));
  read_into(*map, "min_percent", cluster.min_slow_start_percent, percent(reader, 1));
}

void read_circuit_breaker(YamlReader& reader, const Value& value, CircuitBreaker& breaker) {
  static constexpr std::array<std::string_view, 5> kKeys{
      "max_connections", "max_pending_requests", "max_requests", "max_retries", "retry_after"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) {
    breaker.max_connections = 0;
    breaker.max_pending_requests = 0;
    breaker.max_requests = 0;
    breaker.max_retries = 0;
  }
  if (!map) return;
  read_into(*map, "max_connections", breaker.max_connections, count(reader, kMaxCount));
  read_into(*map, "max_pending_requests", breaker.max_pending_requests, count(reader, kMaxCount));
  read_into(*map, "max_requests", breaker.max_requests, count(reader, kMaxCount));
  read_into(*map, "max_retries", breaker.max_retries, count(reader, kMaxCount));
  // Retry-After counts whole seconds.
  read_into(*map, "retry_after", breaker.retry_after, duration(reader, Duration{1'000}, kHour));
}

bool is_retriable_status(std::uint64_t status) {
  return status == 429 || (status >= 500 && status <= 599);
}

// on: a list of conditions and statuses. It replaces the default conditions as a whole, so
// that what is listed is exactly what is retried.
void read_retry_conditions(YamlReader& reader, const Value& value, RetryPolicy& policy) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, "on: list at least one condition", "to never retry, write retry: off");
    return;
  }
  std::array<bool, kConditions.size()> conditions{};
  std::vector<std::uint16_t> statuses;
  bool ok = true;
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) {
      ok = false;
      continue;
    }
    const auto condition = std::ranges::find(kConditions, *text);
    bool listed = false;
    if (condition != kConditions.end()) {
      bool& flag = conditions.at(static_cast<std::size_t>(condition - kConditions.begin()));
      listed = flag;
      flag = true;
    } else if (!text->empty() && text->front() >= '0' && text->front() <= '9') {
      const auto status = parse_decimal(*text);
      if (!status || !is_retriable_status(*status)) {
        reader.error(item.mark, fmt::format("{}: {} is not a status to retry on", item.what, *text),
                     "retry on 429 or a 5xx status (500-599), each listed on its own");
        ok = false;
        continue;
      }
      const auto code = static_cast<std::uint16_t>(*status);
      listed = std::ranges::find(statuses, code) != statuses.end();
      if (!listed) statuses.push_back(code);
    } else {
      std::string hint = did_you_mean(*text, kConditions);
      hint += hint.empty() ? fmt::format("the conditions are: {}", kConditionList)
                           : fmt::format(" (the conditions are: {})", kConditionList);
      reader.error(item.mark, fmt::format("{}: unknown condition '{}'", item.what, *text),
                   std::move(hint));
      ok = false;
      continue;
    }
    if (listed) {
      reader.error(item.mark, fmt::format("{}: {} is listed twice", item.what, *text));
      ok = false;
    }
  }
  if (!ok) return;
  policy.on_connect_failure = conditions[0];
  policy.on_reset = conditions[1];
  policy.on_timeout = conditions[2];
  policy.on_statuses = std::move(statuses);
}

void read_backoff(YamlReader& reader, const Value& value, RetryPolicy& policy) {
  static constexpr std::array<std::string_view, 2> kKeys{"base", "max"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  const bool base_ok =
      read_into(*map, "base", policy.backoff_base, duration(reader, Duration{1}, kMinute));
  const bool max_ok =
      read_into(*map, "max", policy.backoff_max, duration(reader, Duration{1}, kMinute));
  if (base_ok && max_ok) {
    check_order(reader, *map, "base", policy.backoff_base, "max", policy.backoff_max,
                "the nth retry waits a random time below base x 2^n, at most max");
  }
}

void read_retry_budget(YamlReader& reader, const Value& value, RetryPolicy& policy) {
  static constexpr std::array<std::string_view, 2> kKeys{"percent", "min_per_second"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  read_into(*map, "percent", policy.budget_percent, percent(reader, 0));
  read_into(*map, "min_per_second", policy.min_retries_per_second, count(reader, kMaxCount));
}

}  // namespace

void read_retry_policy(YamlReader& reader, const Value& value, RetryPolicy& policy) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "retries", "on", "methods", "per_try_timeout", "backoff", "max_body_bytes", "budget"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) policy.retries = 0;
  if (!map) return;
  read_into(*map, "retries", policy.retries, count(reader, kMaxRetries));
  if (std::optional<Value> on = map->get("on")) read_retry_conditions(reader, *on, policy);
  if (std::optional<Value> methods = map->get("methods")) {
    std::vector<std::string> listed;
    if (read_methods(reader, *methods, listed)) policy.methods = std::move(listed);
  }
  if (std::optional<Value> timeout = map->get("per_try_timeout")) {
    if (auto parsed = reader.duration(*timeout, Duration{1}, kDay)) policy.per_try_timeout = parsed;
  }
  if (std::optional<Value> backoff = map->get("backoff")) read_backoff(reader, *backoff, policy);
  read_into(*map, "max_body_bytes", policy.max_body_bytes,
            [&reader](const Value& v) { return reader.size(v, 0, kMaxRetryBody); });
  if (std::optional<Value> budget = map->get("budget")) read_retry_budget(reader, *budget, policy);
}

void read_cluster_resilience(YamlReader& reader, const MapView& map, Cluster& cluster) {
  if (std::optional<Value> detection = map.get("outlier_detection")) {
    read_outlier_detection(reader, *detection, cluster.outlier_detection);
  }
  if (std::optional<Value> slow_start = map.get("slow_start")) {
    read_slow_start(reader, *slow_start, cluster);
  }
  read_into(map, "panic_threshold", cluster.panic_threshold_percent, percent(reader, 0));
  if (std::optional<Value> breaker = map.get("circuit_breaker")) {
    read_circuit_breaker(reader, *breaker, cluster.circuit_breaker);
  }
  if (std::optional<Value> retry = map.get("retry"))
    read_retry_policy(reader, *retry, cluster.retry);
}

}  // namespace bulwark::config::schema
