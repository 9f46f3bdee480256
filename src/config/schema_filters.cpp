// filters: the filters a virtual host or route runs, inline or by name; the top-level `filters:`
// defines named ones. The configurable filters are `headers`, `compression`, `grpc_web` and
// `cache`.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "config/schema.h"
#include "config/suggest.h"
#include "http/header_template.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 4> kFilterTypes{"headers", "compression", "grpc_web",
                                                       "cache"};

// The operations of one direction, in the order they run: a field is removed or renamed before
// fields are set and added, whatever order the file writes them in.
constexpr std::array<std::string_view, 4> kOperations{"remove", "rename", "set", "add"};

// Where a character of a scalar's text is in the file. Exact for plain and quoted one-line
// scalars; anything else (a ${VAR} that changed the text, a block scalar) points at the value.
SourceMark mark_at(const Value& value, std::string_view text, std::size_t offset) {
  const bool same_text = value.node.IsScalar() && value.node.Scalar() == text &&
                         text.find('\n') == std::string_view::npos;
  if (!same_text || value.mark.line == 0) return value.mark;
  const bool quoted = value.node.Tag() != "?";
  SourceMark at = value.mark;
  at.column += static_cast<int>(offset) + (quoted ? 1 : 0);
  return at;
}

// The fields one direction's rules name so far, to refuse two rules for one field.
struct Claim {
  std::string name;
  std::string_view operation;  // from kOperations
  SourceMark mark;
};

class DirectionReader {
 public:
  DirectionReader(YamlReader& reader, std::string_view direction)
      : reader_(reader), direction_(direction) {}

  void read(const Value& value, std::vector<HeaderRule>& rules) {
    std::optional<MapView> map = reader_.map(value, kOperations);
    if (!map) return;
    for (const std::string_view operation : kOperations) {
      const std::optional<Value> found = map->get(operation);
      if (!found) continue;
      if (operation == "remove") {
        read_remove(*found, rules);
      } else if (operation == "rename") {
        read_rename(*found, rules);
      } else {
        read_values(*found, operation, rules);
      }
    }
  }

 private:
  void read_remove(const Value& value, std::vector<HeaderRule>& rules) {
    std::optional<std::vector<Value>> items = reader_.list(value);
    if (!items) return;
    for (const Value& item : *items) {
      std::optional<std::string> text = reader_.string(item);
      if (!text) continue;
      if (std::optional<std::string> name = field_name(*text, item.what, item.mark, "remove")) {
        rules.push_back({HeaderOp::kRemove, std::move(*name), {}});
      }
    }
  }

  void read_rename(const Value& value, std::vector<HeaderRule>& rules) {
    std::optional<MapView> map = reader_.free_map(value);
    if (!map) return;
    for (const MapView::Field& field : map->fields()) {
      std::optional<std::string> from = field_name(field.key, "rename", field.key_mark, "rename");
      std::optional<std::string> text = reader_.string(field.value);
      if (!text) continue;
      std::optional<std::string> to = field_name(*text, field.key, field.value.mark, "rename");
      if (from && to) rules.push_back({HeaderOp::kRename, std::move(*from), std::move(*to)});
    }
  }

  // `operation` is "set" or "add", from kOperations (claims keep the view).
  void read_values(const Value& value, std::string_view operation, std::vector<HeaderRule>& rules) {
    std::optional<MapView> map = reader_.free_map(value);
    if (!map) return;
    const HeaderOp op = operation == "set" ? HeaderOp::kSet : HeaderOp::kAdd;
    for (const MapView::Field& field : map->fields()) {
      std::optional<std::string> name = field_name(field.key, operation, field.key_mark, operation);
      std::optional<std::string> text = reader_.string(field.value);
      if (!text || !name || !valid_template(field.value, *text)) continue;
      rules.push_back({op, std::move(*name), std::move(*text)});
    }
  }

  // The field name in lower case, or nullopt after reporting why no rule may name it.
  std::optional<std::string> field_name(std::string_view text, std::string_view what,
                                        const SourceMark& mark, std::string_view operation) {
    if (!is_token(text)) {
      reader_.error(mark, fmt::format("{}: '{}' is not a header field name", what, text));
      return std::nullopt;
    }
    std::string name = to_lower(std::string(text));
    if (is_managed_header(name)) {
      reader_.error(mark, fmt::format("{}: {} is managed by bulwark; header rules cannot change it",
                                      what, name));
      return std::nullopt;
    }
    if (direction_ == "request" && name == "host") {
      reader_.error(mark, fmt::format("{}: header rules cannot change the Host", what),
                    "routing has already used it; set the Host sent upstream with the proxy "
                    "action's host_rewrite");
      return std::nullopt;
    }
    for (const Claim& claim : claims_) {
      if (claim.name != name) continue;
      reader_.error(
          mark,
          fmt::format("{}: {} already has a rule in {} ({} at line {}, column {})", what, name,
                      direction_, claim.operation, claim.mark.line, claim.mark.column),
          "give each field one rule per direction");
      return std::nullopt;
    }
    claims_.push_back({name, operation, mark});
    return name;
  }

  bool valid_template(const Value& value, const std::string& text) {
    if (has_line_break(text)) {
      reader_.error(value.mark,
                    fmt::format("{}: a header value cannot contain CR, LF or NUL", value.what));
      return false;
    }
    auto parsed = http::HeaderTemplate::parse(text);
    if (parsed) return true;
    const http::TemplateError& error = parsed.error();
    std::string hint;
    if (!error.unknown_variable.empty()) {
      hint = did_you_mean(error.unknown_variable, http::template_variable_names());
      if (hint.empty()) {
        hint = fmt::format("the variables are: {}; write {{{{ and }}}} for literal braces",
                           fmt::join(http::template_variable_names(), ", "));
      }
    }
    reader_.error(mark_at(value, text, error.offset),
                  fmt::format("{}: {}", value.what, error.message), std::move(hint));
    return false;
  }

  YamlReader& reader_;
  std::string_view direction_;
  std::vector<Claim> claims_;
};

void read_headers(YamlReader& reader, const Value& value, HeaderRules& rules) {
  static constexpr std::array<std::string_view, 2> kKeys{"request", "response"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> request = map->get("request")) {
    DirectionReader(reader, "request").read(*request, rules.request);
  }
  if (std::optional<Value> response = map->get("response")) {
    DirectionReader(reader, "response").read(*response, rules.response);
  }
}

// `grpc_web: {}` (or nothing after the colon): the filter has no settings.
bool read_grpc_web(YamlReader& reader, const Value& value) {
  std::optional<MapView> map = reader.free_map(value);
  if (!map) return false;
  for (const MapView::Field& field : map->fields()) {
    reader.error(field.key_mark, fmt::format("{}: unknown key '{}'", value.what, field.key),
                 "grpc_web has no settings: write grpc_web: {}");
  }
  return map->fields().empty();
}

// One filter written out: `{ headers: {...} }`, with a name when it is a definition.
bool read_filter(YamlReader& reader, const Value& item, bool definition, FilterSpec& filter) {
  std::optional<MapView> map = reader.free_map(item);
  if (!map) return false;
  filter.mark = item.mark;
  bool ok = true;
  std::optional<MapView::Field> type;
  for (const MapView::Field& field : map->fields()) {
    if (field.key == "name") {
      if (!definition) {
        reader.error(field.key_mark,
                     fmt::format("{}: a filter written in place has no name", item.what),
                     "define named filters under the top-level filters: and list their names here");
        ok = false;
      } else if (std::optional<std::string> name = read_name(reader, field.value)) {
        filter.name = std::move(*name);
      } else {
        ok = false;
      }
      continue;
    }
    if (std::ranges::find(kFilterTypes, field.key) == kFilterTypes.end()) {
      std::string hint = did_you_mean(field.key, kFilterTypes);
      if (hint.empty()) hint = fmt::format("the filters are: {}", fmt::join(kFilterTypes, ", "));
      reader.error(field.key_mark, fmt::format("{}: unknown filter '{}'", item.what, field.key),
                   std::move(hint));
      ok = false;
      continue;
    }
    if (type) {
      reader.error(field.key_mark,
                   fmt::format("{}: one filter per item; {} and {} are both given", item.what,
                               type->key, field.key),
                   "write each filter as its own list item");
      ok = false;
      continue;
    }
    type = field;
  }
  if (definition && filter.name.empty() && !map->has("name")) {
    reader.error(item.mark, fmt::format("{}: missing required key 'name'", item.what),
                 "a filter defined at the top level is referred to by its name");
    ok = false;
  }
  if (!type) {
    if (ok) {
      reader.error(item.mark, fmt::format("{}: the item names no filter", item.what),
                   fmt::format("write one of: {}", fmt::join(kFilterTypes, ", ")));
    }
    return false;
  }
  filter.type = type->key;
  if (filter.type == "compression") {
    Compression compression;
    read_compression(reader, type->value, compression);
    filter.settings = std::move(compression);
    return ok;
  }
  if (filter.type == "cache") {
    CacheSettings cache;
    read_cache(reader, type->value, cache);
    filter.settings = std::move(cache);
    return ok;
  }
  if (filter.type == "grpc_web") {
    filter.settings = GrpcWebSettings{};
    return read_grpc_web(reader, type->value) && ok;
  }
  HeaderRules rules;
  read_headers(reader, type->value, rules);
  filter.settings = std::move(rules);
  return ok;
}

// A list item that is a name: a copy of the top-level definition.
void read_reference(YamlReader& reader, const Value& item, const Config& config,
                    std::vector<FilterSpec>& filters) {
  std::optional<std::string> name = reader.string(item);
  if (!name) return;
  std::vector<std::string_view> known;
  for (const FilterSpec& definition : config.filters) {
    if (definition.name == *name) {
      filters.push_back(definition);
      return;
    }
    known.push_back(definition.name);
  }
  std::string hint = did_you_mean(*name, known);
  if (hint.empty()) {
    hint = known.empty() ? "define it under the top-level filters:, or write the filter here"
                         : fmt::format("the named filters are: {}", fmt::join(known, ", "));
  }
  reader.error(item.mark, fmt::format("{}: filter '{}' is not defined", item.what, *name),
               std::move(hint));
}

}  // namespace

void read_filter_list(YamlReader& reader, const Value& value, const Config& config,
                      std::vector<FilterSpec>& filters) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    if (item.node.IsScalar()) {
      read_reference(reader, item, config, filters);
      continue;
    }
    FilterSpec filter;
    if (read_filter(reader, item, false, filter)) filters.push_back(std::move(filter));
  }
}

void read_filter_definitions(YamlReader& reader, const Value& value, Config& config) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    FilterSpec filter;
    if (!read_filter(reader, item, true, filter)) continue;
    const auto first = std::ranges::find(config.filters, filter.name, &FilterSpec::name);
    if (first != config.filters.end()) {
      reader.error(item.mark,
                   fmt::format("{}: duplicate filter name '{}' (first at line {})", item.what,
                               filter.name, first->mark.line),
                   "filter names must be unique");
      continue;
    }
    config.filters.push_back(std::move(filter));
  }
}

}  // namespace bulwark::config::schema
