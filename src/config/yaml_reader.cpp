#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "config/suggest.h"
#include "config/units.h"

namespace bulwark::config {
namespace {

// yaml-cpp's tag for a plain (unquoted) scalar; quoted ones get "!".
constexpr std::string_view kPlainTag = "?";

bool is_plain(const YAML::Node& node) {
  return node.Tag() == kPlainTag;
}

std::string join_keys(std::span<const std::string_view> keys) {
  std::string text;
  for (const std::string_view key : keys) {
    if (!text.empty()) text += ", ";
    text += key;
  }
  return text;
}

// "unknown key 'x' in limits"; the root has no name.
std::string in_what(const std::string& what) {
  return what.empty() ? "" : " in " + what;
}

}  // namespace

bool is_yaml11_boolean(std::string_view text) {
  static constexpr std::array<std::string_view, 22> kWords{
      "y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
      "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  for (const std::string_view word : kWords) {
    if (text == word) return true;
  }
  return false;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::optional<Value> MapView::get(std::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key == key) return field.value;
  }
  return std::nullopt;
}

YamlReader::YamlReader(std::string file, EnvLookup env)
    : file_(std::move(file)), env_(std::move(env)) {}

SourceMark YamlReader::mark(const YAML::Mark& mark) const {
  if (mark.is_null()) return SourceMark{file_, 0, 0};
  return SourceMark{file_, mark.line + 1, mark.column + 1};
}

SourceMark YamlReader::mark(const YAML::Node& node) const {
  return mark(node.Mark());
}

void YamlReader::error(SourceMark at, std::string message, std::string hint) {
  errors_.push_back(Diagnostic{std::move(at), std::move(message), std::move(hint)});
}

Value YamlReader::root(const YAML::Node& node) const {
  SourceMark at = mark(node);
  if (at.line == 0) at = SourceMark{file_, 1, 1};
  return Value{node, "", std::move(at)};
}

void YamlReader::type_error(const Value& value, std::string_view expected) {
  const std::string subject = value.what.empty() ? "the configuration" : value.what;
  error(value.mark,
        fmt::format("{}: expected {}, got {}", subject, expected, describe(value.node)));
}

std::optional<MapView> YamlReader::map(const Value& value, std::span<const std::string_view> keys) {
  return read_map(value, &keys);
}

std::optional<MapView> YamlReader::free_map(const Value& value) {
  return read_map(value, nullptr);
}

std::optional<MapView> YamlReader::read_map(const Value& value,
                                            const std::span<const std::string_view>* keys) {
  MapView view;
  view.what_ = value.what;
  view.mark_ = value.mark;
  if (value.node.IsNull()) return view;
  if (!value.node.IsMap()) {
    type_error(value, "a map");
    return std::nullopt;
  }
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const SourceMark key_mark = mark(key);
    if (!key.IsScalar()) {
      error(key_mark, fmt::format("a key{} is {}; keys must be plain names", in_what(view.what_),
                                  describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    bool known = keys == nullptr;
    for (const std::string_view candidate : keys ? *keys : std::span<const std::string_view>{}) {
      known = known || candidate == name;
    }
    if (!known) {
      std::string hint = did_you_mean(name, *keys);
      if (hint.empty()) {
        hint = fmt::format("the keys{} are: {}", in_what(view.what_), join_keys(*keys));
      }
      error(key_mark, fmt::format("unknown key '{}'{}", name, in_what(view.what_)),
            std::move(hint));
      continue;
    }
    const MapView::Field* first = nullptr;
    for (const MapView::Field& field : view.fields_) {
      if (field.key == name) first = &field;
    }
    if (first != nullptr) {
      error(key_mark,
            fmt::format("duplicate key '{}'{} (first at line {}, column {})", name,
                        in_what(view.what_), first->key_mark.line, first->key_mark.column),
            "YAML readers disagree on which one wins; remove one of them");
      continue;
    }
    const YAML::Node node = it->second;
    SourceMark value_mark = node.IsNull() ? key_mark : mark(node);
    if (value_mark.line == 0) value_mark = key_mark;
    view.fields_.push_back(
        MapView::Field{name, Value{node, name, std::move(value_mark)}, key_mark});
  }
  return view;
}

std::optional<Value> YamlReader::require(const MapView& map, std::string_view key) {
  std::optional<Value> value = map.get(key);
  if (!value) {
    const std::string subject = map.what().empty() ? "the configuration" : map.what();
    error(map.mark(), fmt::format("{}: missing required key '{}'", subject, key));
  }
  return value;
}

std::optional<std::vector<Value>> YamlReader::list(const Value& value) {
  std::vector<Value> items;
  if (value.node.IsNull()) return items;
  if (!value.node.IsSequence()) {
    type_error(value, "a list");
    return std::nullopt;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : value.node) {
    SourceMark item_mark = mark(item);
    if (item.IsNull() || item_mark.line == 0) item_mark = value.mark;
    items.push_back(Value{item, fmt::format("{}[{}]", value.what, index), std::move(item_mark)});
    ++index;
  }
  return items;
}

std::optional<std::string> YamlReader::scalar(const Value& value, std::string_view expected) {
  if (!value.node.IsScalar()) {
    type_error(value, expected);
    return std::nullopt;
  }
  const std::string& raw = value.node.Scalar();
  if (raw.find('$') == std::string::npos) return raw;
  auto substituted = substitute_env(raw, env_);
  if (!substituted) {
    error(value.mark, fmt::format("{}: {}", value.what, substituted.error().message),
          std::move(substituted.error().hint));
    return std::nullopt;
  }
  return std::move(*substituted);
}

std::optional<std::string> YamlReader::string(const Value& value) {
  if (value.node.IsNull()) {
    error(value.mark, fmt::format("{}: expected a string, got nothing", value.what),
          "write \"\" for an empty string");
    return std::nullopt;
  }
  if (value.node.IsScalar() && is_plain(value.node) && is_yaml11_boolean(value.node.Scalar())) {
    const std::string& raw = value.node.Scalar();
    error(value.mark, fmt::format("{}: {} is a boolean in YAML 1.1, not a string", value.what, raw),
          fmt::format("quote it: \"{}\"", raw));
    return std::nullopt;
  }
  return scalar(value, "a string");
}

std::optional<std::size_t> YamlReader::choice(const Value& value,
                                              std::span<const std::string_view> choices) {
  const std::string expected = fmt::format("one of {}", join_keys(choices));
  std::optional<std::string> text = scalar(value, expected);
  if (!text) return std::nullopt;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (*text == choices[i]) return i;
  }
  std::string hint = did_you_mean(*text, choices);
  hint += hint.empty() ? fmt::format("the choices are: {}", join_keys(choices))
                       : fmt::format(" (the choices are: {})", join_keys(choices));
  error(value.mark, fmt::format("{}: unknown value '{}'", value.what, *text), std::move(hint));
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const Value& value) {
  std::optional<std::string> text = scalar(value, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  std::string hint;
  if (is_yaml11_boolean(*text)) {
    hint = "write true or false; YAML 1.2 readers take yes/no/on/off as strings";
  }
  error(value.mark, fmt::format("{}: expected true or false, got '{}'", value.what, *text),
        std::move(hint));
  return std::nullopt;
}

std::optional<std::uint64_t> YamlReader::integer(const Value& value, std::uint64_t min,
                                                 std::uint64_t max) {
  std::optional<std::string> text = scalar(value, "a number");
  if (!text) return std::nullopt;
  auto number = parse_decimal(*text);
  if (!number) {
    error(value.mark, fmt::format("{}: {}", value.what, number.error().message),
          std::move(number.error().hint));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    error(value.mark,
          fmt::format("{}: {} is out of range (from {} to {})", value.what, *text, min, max));
    return std::nullopt;
  }
  return *number;
}

std::optional<std::uint64_t> YamlReader::size(const Value& value, std::uint64_t min,
                                              std::uint64_t max) {
  std::optional<std::string> text = scalar(value, "a size such as 16KiB");
  if (!text) return std::nullopt;
  auto bytes = parse_size(*text);
  if (!bytes) {
    error(value.mark, fmt::format("{}: {}", value.what, bytes.error().message),
          std::move(bytes.error().hint));
    return std::nullopt;
  }
  if (*bytes < min || *bytes > max) {
    error(value.mark, fmt::format("{}: {} is out of range (from {} to {})", value.what, *text,
                                  format_size(min), format_size(max)));
    return std::nullopt;
  }
  return *bytes;
}

std::optional<Duration> YamlReader::duration(const Value& value, Duration min, Duration max) {
  std::optional<std::string> text = scalar(value, "a duration such as 10s");
  if (!text) return std::nullopt;
  auto parsed = parse_duration(*text);
  if (!parsed) {
    error(value.mark, fmt::format("{}: {}", value.what, parsed.error().message),
          std::move(parsed.error().hint));
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    error(value.mark, fmt::format("{}: {} is out of range (from {} to {})", value.what, *text,
                                  format_duration(min), format_duration(max)));
    return std::nullopt;
  }
  return *parsed;
}

}  // namespace bulwark::config
