#include "config/env_substitution.h"

#include <fmt/format.h>

#include <cstdlib>

namespace bulwark::config {
namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (const char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::expected<std::string, ValueError> substitute_env(std::string_view text,
                                                      const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with("$${")) {
      out += "${";
      i += 3;
      continue;
    }
    if (!text.substr(i).starts_with("${")) {
      out += text[i];
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return std::unexpected(
          ValueError{fmt::format("'${{' without a closing '}}' in '{}'", text),
                     "write ${NAME} for an environment variable, or $${ for a literal '${'"});
    }
    const std::string_view name = text.substr(i + 2, close - i - 2);
    if (!is_variable_name(name)) {
      return std::unexpected(ValueError{
          fmt::format("'{}' is not an environment variable name in '{}'", name, text),
          "names are letters, digits and '_' (defaults such as ${NAME:-x} are not supported); "
          "write $${ for a literal '${'"});
    }
    std::optional<std::string> value = lookup(name);
    if (!value) {
      return std::unexpected(ValueError{
          fmt::format("environment variable '{}' is not defined", name),
          fmt::format("set {} before starting bulwark, or write $${{ for a literal '${{'", name)});
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace bulwark::config
