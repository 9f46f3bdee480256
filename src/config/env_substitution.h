#pragma once
// ${VAR} in configuration values, taken from the environment. "$${" writes a literal "${"; any
// other "$" is kept as it is. An undefined variable is an error, never an empty string: an empty
// listen address or cluster name would fail later with a far less clear message.

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/units.h"

namespace bulwark::config {

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (getenv).
[[nodiscard]] std::optional<std::string> process_env(std::string_view name);

[[nodiscard]] std::expected<std::string, ValueError> substitute_env(std::string_view text,
                                                                    const EnvLookup& lookup);

}  // namespace bulwark::config
