#pragma once
// Sizes ("16KiB") and durations ("500ms", "1m30s") as the configuration writes them.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "config/config.h"

namespace bulwark::config {

// Why a value does not parse, and what to write instead.
struct ValueError {
  std::string message;
  std::string hint;
};

// Plain decimal digits, no sign, no leading zero (YAML 1.1 reads 010 as octal 8, so it is refused
// rather than guessed). The message names the text.
[[nodiscard]] std::expected<std::uint64_t, ValueError> parse_decimal(std::string_view text);

// Bytes: "4096", "512B", "16KiB", "1 MiB", "2GiB". Only binary units: "KB" is ambiguous (1000 or
// 1024?) and is refused with a hint.
[[nodiscard]] std::expected<std::uint64_t, ValueError> parse_size(std::string_view text);

// "500ms", "10s", "2m", "1h", or a sum such as "1m30s". A bare number is refused: "10" could mean
// seconds or milliseconds.
[[nodiscard]] std::expected<Duration, ValueError> parse_duration(std::string_view text);

// The shortest exact spelling: 16384 -> "16KiB", 1000 -> "1000B".
[[nodiscard]] std::string format_size(std::uint64_t bytes);
// The shortest exact spelling: 90000ms -> "1m30s", 1500ms -> "1500ms".
[[nodiscard]] std::string format_duration(Duration duration);

}  // namespace bulwark::config
