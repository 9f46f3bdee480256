#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

std::optional<std::string> read_name(YamlReader& reader, const Value& value) {
  std::optional<std::string> name = reader.string(value);
  if (!name) return std::nullopt;
  bool valid = !name->empty() && name->size() <= 128;
  for (const char c : *name)
    valid = valid && is_name_char(c);
  if (!valid) {
    // Names show up in logs and metrics labels, where spaces and quotes would need escaping.
    reader.error(value.mark, fmt::format("{}: '{}' is not a valid name", value.what, *name),
                 "use letters, digits, '_', '-' and '.' (at most 128)");
    return std::nullopt;
  }
  return name;
}

std::optional<MapView> read_map_or_off(YamlReader& reader, const Value& value,
                                       std::span<const std::string_view> keys, bool& off) {
  off = false;
  if (!value.node.IsScalar()) return reader.map(value, keys);
  std::optional<std::string> text = reader.scalar(value, "a map or off");
  if (!text) return std::nullopt;
  if (*text == "off") {
    off = true;
    return std::nullopt;
  }
  reader.error(value.mark, fmt::format("{}: expected a map or off, got '{}'", value.what, *text),
               is_yaml11_boolean(*text) ? "write off to turn it off" : "");
  return std::nullopt;
}

std::string line_of(const SourceMark& first, const SourceMark& here) {
  if (first.file == here.file) return fmt::format("line {}", first.line);
  return fmt::format("{}:{}", first.file, first.line);
}

std::optional<net::HostPort> read_host_port(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return std::nullopt;
  net::HostPort address;
  std::string_view problem;
  if (!net::parse_host_port(*text, address, problem)) {
    reader.error(value.mark, fmt::format("{}: bad address '{}': {}", value.what, *text, problem),
                 "write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
    return std::nullopt;
  }
  return address;
}

std::optional<net::Cidr> read_network(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return std::nullopt;
  net::Cidr cidr;
  std::string_view problem;
  if (!net::Cidr::parse(*text, cidr, problem)) {
    reader.error(value.mark, fmt::format("{}: bad network '{}': {}", value.what, *text, problem),
                 "write an address or ADDRESS/PREFIX, e.g. 10.0.0.0/8 or ::1");
    return std::nullopt;
  }
  return cidr;
}

std::optional<std::string> read_re2_pattern(YamlReader& reader, const Value& value) {
  std::optional<std::string> pattern = reader.string(value);
  if (!pattern) return std::nullopt;
  const re2::RE2 compiled(*pattern, re2::RE2::Quiet);
  if (!compiled.ok()) {
    reader.error(value.mark,
                 fmt::format("{}: '{}' is not a valid regular expression: {}", value.what, *pattern,
                             compiled.error()),
                 "the syntax is RE2's (no backreferences or lookaround)");
    return std::nullopt;
  }
  return pattern;
}

bool check_substitution(const std::string& pattern, const std::string& substitution,
                        std::string& why) {
  const re2::RE2 compiled(pattern, re2::RE2::Quiet);
  return compiled.CheckRewriteString(substitution, &why);
}

std::optional<std::string> read_prefix_rewrite(YamlReader& reader, const Value& value,
                                               const RouteMatch& match) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return std::nullopt;
  if (match.path_kind != PathMatchKind::kPrefix) {
    reader.error(
        value.mark,
        fmt::format("{}: needs a route that matches a prefix; this one matches {}", value.what,
                    match.path_kind == PathMatchKind::kExact ? "an exact path" : "a regex"),
        "use match: { prefix: ... }, or regex_rewrite for a regex route");
    return std::nullopt;
  }
  if (!text->empty() && !text->starts_with('/')) {
    reader.error(value.mark, fmt::format("{}: '{}' must start with '/'", value.what, *text));
    return std::nullopt;
  }
  return text;
}

std::string to_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && kSpecials.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool is_managed_header(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kManaged{"content-length",   "transfer-encoding",
                                                            "connection",       "keep-alive",
                                                            "proxy-connection", "te",
                                                            "trailer",          "upgrade"};
  const std::string lower = to_lower(std::string(name));
  return std::ranges::find(kManaged, lower) != kManaged.end();
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace bulwark::config::schema
