#pragma once
// Typed reading of a yaml-cpp tree with precise messages. The reader never throws and never
// stops at the first problem: each helper records a Diagnostic and returns nullopt, and the
// caller carries on with the next key so that one run reports everything wrong in a file.
//
// What it checks that yaml-cpp does not: unknown keys (with "did you mean"), duplicate keys
// (yaml-cpp keeps both silently), YAML 1.1 booleans where a string is meant (`via: no`), numbers
// with a leading zero (`010`, octal to YAML 1.1), and units on sizes and durations. Scalars go
// through ${VAR} substitution before they are interpreted.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/env_substitution.h"

namespace bulwark::config {

// A node together with what to call it in a message ("buffer_size", "endpoints[1]") and the best
// place to point at: the value itself, or its key when the value is empty (yaml-cpp puts the
// mark of an empty value on the next token, which may be lines away).
struct Value {
  YAML::Node node;
  std::string what;
  SourceMark mark;
};

// The keys of one YAML mapping, each key once (the first occurrence).
class MapView {
 public:
  struct Field {
    std::string key;
    Value value;
    SourceMark key_mark;
  };

  [[nodiscard]] std::optional<Value> get(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return get(key).has_value(); }
  [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
  [[nodiscard]] const std::string& what() const { return what_; }
  [[nodiscard]] const SourceMark& mark() const { return mark_; }

 private:
  friend class YamlReader;
  std::vector<Field> fields_;
  std::string what_;
  SourceMark mark_;
};

class YamlReader {
 public:
  YamlReader(std::string file, EnvLookup env);

  [[nodiscard]] const std::string& file() const { return file_; }
  // A reader for another file of the same configuration (an included one), with the same
  // environment.
  [[nodiscard]] YamlReader for_file(std::string file) const {
    return YamlReader(std::move(file), env_);
  }
  [[nodiscard]] SourceMark mark(const YAML::Mark& mark) const;
  [[nodiscard]] SourceMark mark(const YAML::Node& node) const;

  void error(SourceMark at, std::string message, std::string hint = {});
  [[nodiscard]] bool ok() const { return errors_.empty(); }
  [[nodiscard]] std::vector<Diagnostic> take_errors() { return std::move(errors_); }

  // The root of a document.
  [[nodiscard]] Value root(const YAML::Node& node) const;

  // A mapping whose keys must be among `keys`. An empty value (`limits:` with everything below
  // commented out) reads as an empty mapping.
  [[nodiscard]] std::optional<MapView> map(const Value& value,
                                           std::span<const std::string_view> keys);
  // A mapping with any keys (still checked for duplicates), such as a set of header fields.
  [[nodiscard]] std::optional<MapView> free_map(const Value& value);
  // A key that must be present; reports "missing" at the mapping.
  [[nodiscard]] std::optional<Value> require(const MapView& map, std::string_view key);

  // The items of a sequence, named "what[i]". An empty value reads as an empty list.
  [[nodiscard]] std::optional<std::vector<Value>> list(const Value& value);

  // A string. Refuses an unquoted YAML 1.1 boolean (yes/no/on/off/true/false/y/n).
  [[nodiscard]] std::optional<std::string> string(const Value& value);
  // One of `choices` (exactly as written); returns its index.
  [[nodiscard]] std::optional<std::size_t> choice(const Value& value,
                                                  std::span<const std::string_view> choices);
  // true or false (not yes/no/on/off: YAML 1.2 readers take those as strings).
  [[nodiscard]] std::optional<bool> boolean(const Value& value);
  // A decimal integer in [min, max].
  [[nodiscard]] std::optional<std::uint64_t> integer(const Value& value, std::uint64_t min,
                                                     std::uint64_t max);
  // A size in bytes in [min, max].
  [[nodiscard]] std::optional<std::uint64_t> size(const Value& value, std::uint64_t min,
                                                  std::uint64_t max);
  // A duration in [min, max].
  [[nodiscard]] std::optional<Duration> duration(const Value& value, Duration min, Duration max);

  // The scalar text after ${VAR} substitution, without any other check. Reports and returns
  // nullopt when the node is not a scalar.
  [[nodiscard]] std::optional<std::string> scalar(const Value& value, std::string_view expected);

 private:
  void type_error(const Value& value, std::string_view expected);
  // `keys` null: any key is allowed.
  std::optional<MapView> read_map(const Value& value,
                                  const std::span<const std::string_view>* keys);

  std::string file_;
  EnvLookup env_;
  std::vector<Diagnostic> errors_;
};

// True for the plain scalars YAML 1.1 reads as booleans.
[[nodiscard]] bool is_yaml11_boolean(std::string_view text);

// "a list", "a map", "'text'", "nothing": how a node looks, for "expected X, got Y".
[[nodiscard]] std::string describe(const YAML::Node& node);

}  // namespace bulwark::config
