#include "config/units.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <utility>

namespace bulwark::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads the digits at the front of `text` into `value`; returns how many there were (0: none).
// Sets `overflow` when they do not fit in 64 bits.
std::size_t take_digits(std::string_view text, std::uint64_t& value, bool& overflow) {
  std::size_t i = 0;
  value = 0;
  overflow = false;
  while (i < text.size() && is_digit(text[i])) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) overflow = true;
    value = value * 10 + digit;
    ++i;
  }
  return i;
}

std::unexpected<ValueError> fail(std::string message, std::string hint = {}) {
  return std::unexpected(ValueError{std::move(message), std::move(hint)});
}

// A number with a leading zero: YAML 1.1 readers take it as octal, people as decimal.
std::unexpected<ValueError> leading_zero(std::string_view text) {
  std::string_view decimal = text;
  while (decimal.size() > 1 && decimal.front() == '0')
    decimal.remove_prefix(1);
  return fail(fmt::format("'{}' has a leading zero, which YAML 1.1 reads as an octal number", text),
              fmt::format("write {} if you mean the decimal number", decimal));
}

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::array<Unit, 4> kSizeUnits{
    {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}}};

// Largest first, so that format_duration picks the biggest unit that divides exactly.
constexpr std::array<Unit, 4> kDurationUnits{
    {{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

std::string size_unit_hint(std::string_view unit) {
  if (unit.empty()) return {};
  const char first = unit.front();
  if (first == 'k' || first == 'K') return "write KiB (1024 bytes); decimal units are not accepted";
  if (first == 'm' || first == 'M') return "write MiB (1024 KiB); decimal units are not accepted";
  if (first == 'g' || first == 'G') return "write GiB (1024 MiB); decimal units are not accepted";
  if (first == 't' || first == 'T') return "write it in GiB, e.g. 1024GiB";
  if (first == 'b') return "write B";
  return {};
}

}  // namespace

std::expected<std::uint64_t, ValueError> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  bool overflow = false;
  const std::size_t digits = take_digits(text, value, overflow);
  if (digits == 0 || digits != text.size()) {
    return fail(fmt::format("expected a whole number, got '{}'", text));
  }
  if (digits > 1 && text.front() == '0') return leading_zero(text);
  if (overflow) return fail(fmt::format("'{}' is too large", text));
  return value;
}

std::expected<std::uint64_t, ValueError> parse_size(std::string_view text) {
  constexpr std::string_view kExpected = "expected a size such as 4096, 16KiB, 8MiB or 1GiB";
  std::uint64_t value = 0;
  bool overflow = false;
  const std::size_t digits = take_digits(text, value, overflow);
  if (digits == 0) return fail(fmt::format("{}, got '{}'", kExpected, text));
  // Only a bare number is at risk of the octal reading; "010KiB" is a string to YAML.
  if (digits > 1 && digits == text.size() && text.front() == '0') return leading_zero(text);
  std::string_view unit = text.substr(digits);
  if (unit.starts_with('.')) {
    return fail(fmt::format("'{}' is not a whole number", text),
                "write it in a smaller unit, e.g. 1536KiB instead of 1.5MiB");
  }
  if (unit.starts_with(' ')) unit.remove_prefix(1);
  std::uint64_t factor = 0;
  if (unit.empty()) {
    factor = 1;
  } else {
    for (const Unit& known : kSizeUnits) {
      if (unit == known.name) factor = known.factor;
    }
  }
  if (factor == 0) {
    return fail(fmt::format("unknown size unit '{}' in '{}'", unit, text), size_unit_hint(unit));
  }
  if (overflow || value > std::numeric_limits<std::uint64_t>::max() / factor) {
    return fail(fmt::format("'{}' is too large", text));
  }
  return value * factor;
}

std::expected<Duration, ValueError> parse_duration(std::string_view text) {
  if (text.empty()) return fail("expected a duration such as 500ms, 10s, 2m or 1h, got ''");
  std::uint64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::uint64_t value = 0;
    bool overflow = false;
    const std::size_t digits = take_digits(rest, value, overflow);
    if (digits == 0) {
      return fail(fmt::format("expected a duration such as 500ms, 10s, 2m or 1h, got '{}'", text));
    }
    rest.remove_prefix(digits);
    if (rest.empty()) {
      if (digits == text.size()) {
        return fail(fmt::format("the duration '{}' has no unit", text),
                    fmt::format("write {0}s for seconds or {0}ms for milliseconds", text));
      }
      return fail(fmt::format("the duration '{}' ends without a unit", text));
    }
    if (rest.front() == '.') {
      return fail(fmt::format("'{}' is not a whole number", text),
                  "write it in a smaller unit, e.g. 1500ms instead of 1.5s");
    }
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && !is_digit(rest[unit_length]))
      ++unit_length;
    const std::string_view unit = rest.substr(0, unit_length);
    rest.remove_prefix(unit_length);
    std::uint64_t factor = 0;
    for (const Unit& known : kDurationUnits) {
      if (unit == known.name) factor = known.factor;
    }
    if (factor == 0) {
      std::string hint = "the units are ms, s, m and h";
      if (unit == "d") hint = "write days in hours, e.g. 24h";
      if (unit == "us" || unit == "ns" || unit == "µs") hint = "the smallest unit is ms";
      return fail(fmt::format("unknown duration unit '{}' in '{}'", unit, text), std::move(hint));
    }
    // Durations are stored in milliseconds as a signed 64-bit count; anything near that is absurd.
    constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max() / 2;
    if (overflow || value > kMax / factor || total > kMax - value * factor) {
      return fail(fmt::format("'{}' is too long", text));
    }
    total += value * factor;
  }
  return Duration{static_cast<Duration::rep>(total)};
}

std::string format_size(std::uint64_t bytes) {
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it) {
    if (it->factor > 1 && bytes != 0 && bytes % it->factor == 0) {
      return fmt::format("{}{}", bytes / it->factor, it->name);
    }
  }
  return fmt::format("{}B", bytes);
}

std::string format_duration(Duration duration) {
  auto remaining = static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count());
  if (remaining == 0) return "0s";
  // Milliseconds only when the whole value is not a count of seconds: "1500ms", not "1s500ms".
  if (remaining % 1000 != 0) return fmt::format("{}ms", remaining);
  std::string text;
  for (const Unit& unit : kDurationUnits) {
    if (unit.factor == 1) break;
    if (remaining >= unit.factor) {
      text += fmt::format("{}{}", remaining / unit.factor, unit.name);
      remaining %= unit.factor;
    }
  }
  return text;
}

}  // namespace bulwark::config
