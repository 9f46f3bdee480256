// compression: the filter's codings in order of preference, their levels, the media types it
// compresses and the shortest body worth it.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "compress/encoder.h"
#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 3> kCodingTokens{"zstd", "br", "gzip"};
constexpr std::array<compress::Coding, 3> kCodings{
    compress::Coding::kZstd, compress::Coding::kBrotli, compress::Coding::kGzip};

// What compresses well and is sent uncompressed by most backends: text, the structured syntaxes
// written as text, scripts, SVG, WebAssembly and the font formats that are not compressed
// already (WOFF and WOFF2 are).
constexpr std::array<std::string_view, 16> kDefaultContentTypes{
    "text/*",
    "application/json",
    "application/*+json",
    "application/x-ndjson",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/xml",
    "application/*+xml",
    "image/svg+xml",
    "application/wasm",
    "application/yaml",
    "application/x-yaml",
    "font/ttf",
    "font/otf",
    "application/vnd.ms-fontobject",
};

// The largest min_length: beyond it nearly everything would go out uncompressed.
constexpr std::uint64_t kMaxMinLength = std::uint64_t{1} << 30;

// type/subtype, where the type may be "*" and the subtype "*" or "*+suffix".
bool is_media_range(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view type = text.substr(0, slash);
  std::string_view subtype = text.substr(slash + 1);
  if (type != "*" && !is_token(type)) return false;
  if (subtype == "*") return true;
  if (subtype.starts_with("*+")) subtype.remove_prefix(2);
  return is_token(subtype);
}

void read_codings(YamlReader& reader, const Value& value, Compression& compression) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, fmt::format("{}: at least one encoding is needed", value.what),
                 "leave the compression filter out to send responses as they are");
    return;
  }
  for (const Value& item : *items) {
    const std::optional<std::size_t> index = reader.choice(item, kCodingTokens);
    if (!index) continue;
    const compress::Coding coding = kCodings[*index];
    if (std::ranges::any_of(compression.codings, [&](const CompressionCoding& listed) {
          return listed.coding == coding;
        })) {
      reader.error(item.mark,
                   fmt::format("{}: {} is listed twice", item.what, kCodingTokens[*index]));
      continue;
    }
    compression.codings.push_back({coding, compress::level_range(coding).fallback});
  }
}

void read_levels(YamlReader& reader, const Value& value, Compression& compression) {
  std::optional<MapView> map = reader.map(value, kCodingTokens);
  if (!map) return;
  for (const MapView::Field& field : map->fields()) {
    const auto token = std::ranges::find(kCodingTokens, field.key);
    const compress::Coding coding = kCodings[token - kCodingTokens.begin()];
    const compress::LevelRange range = compress::level_range(coding);
    const std::optional<std::uint64_t> level = reader.integer(
        field.value, static_cast<std::uint64_t>(range.min), static_cast<std::uint64_t>(range.max));
    if (!level) continue;
    const auto listed = std::ranges::find(compression.codings, coding, &CompressionCoding::coding);
    if (listed == compression.codings.end()) {
      reader.error(field.key_mark,
                   fmt::format("{}: {} is not among the encodings", field.value.what, field.key),
                   "add it to encodings, or leave its level out");
      continue;
    }
    listed->level = static_cast<int>(*level);
  }
}

void read_content_types(YamlReader& reader, const Value& value, Compression& compression) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, fmt::format("{}: an empty list compresses nothing", value.what),
                 "leave the compression filter out to send responses as they are");
    return;
  }
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) continue;
    if (!is_media_range(*text)) {
      reader.error(item.mark,
                   fmt::format("{}: '{}' is not a media type or range", item.what, *text),
                   "write type/subtype, type/*, or type/*+suffix, without parameters "
                   "(text/html, text/*, application/*+json)");
      continue;
    }
    compression.content_types.push_back(to_lower(std::move(*text)));
  }
}

}  // namespace

Compression default_compression() {
  Compression compression;
  for (const compress::Coding coding : kCodings)
    compression.codings.push_back({coding, compress::level_range(coding).fallback});
  compression.content_types.assign(kDefaultContentTypes.begin(), kDefaultContentTypes.end());
  return compression;
}

void read_compression(YamlReader& reader, const Value& value, Compression& compression) {
  static constexpr std::array<std::string_view, 4> kKeys{"encodings", "levels", "content_types",
                                                         "min_length"};
  compression = default_compression();
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> codings = map->get("encodings")) {
    compression.codings.clear();
    read_codings(reader, *codings, compression);
  }
  if (std::optional<Value> levels = map->get("levels")) read_levels(reader, *levels, compression);
  if (std::optional<Value> types = map->get("content_types")) {
    compression.content_types.clear();
    read_content_types(reader, *types, compression);
  }
  if (std::optional<Value> min_length = map->get("min_length")) {
    if (auto size = reader.size(*min_length, 0, kMaxMinLength)) compression.min_length = *size;
  }
}

}  // namespace bulwark::config::schema
