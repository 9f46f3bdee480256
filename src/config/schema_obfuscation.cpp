// obfuscation: what keeps responses from revealing the backends; error_pages: our own pages.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

// An error page is held in memory by every snapshot and sent in one write.
constexpr std::uint64_t kMaxErrorPageBytes = std::uint64_t{1024} * 1024;

struct MediaType {
  std::string_view extension;
  std::string_view type;
};

constexpr std::array<MediaType, 6> kPageTypes{{
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".xhtml", "application/xhtml+xml"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".xml", "application/xml"},
}};

void read_header_names(YamlReader& reader, const Value& value, std::vector<std::string>& names) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) continue;
    if (!is_token(*text)) {
      reader.error(item.mark, fmt::format("{}: '{}' is not a header field name", item.what, *text));
      continue;
    }
    if (is_managed_header(*text)) {
      reader.error(item.mark, fmt::format("{}: {} is managed by bulwark and is never passed on "
                                          "as the backend sent it",
                                          item.what, to_lower(*text)));
      continue;
    }
    std::string name = to_lower(std::move(*text));
    if (std::ranges::find(names, name) == names.end()) names.push_back(std::move(name));
  }
}

// The file's bytes, or nullopt after reporting why they cannot be had.
std::optional<std::string> read_page_file(YamlReader& reader, const Value& value,
                                          const std::string& file) {
  // Relative to the configuration file, so that a configuration and its pages move together.
  std::filesystem::path path(file);
  if (path.is_relative()) path = std::filesystem::path(reader.file()).parent_path() / path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    reader.error(value.mark,
                 fmt::format("{}: cannot read '{}': it is a directory", value.what, path.string()));
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reader.error(value.mark, fmt::format("{}: cannot read '{}': {}", value.what, path.string(),
                                         std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string body = std::move(bytes).str();
  if (body.empty()) {
    reader.error(value.mark, fmt::format("{}: '{}' is empty", value.what, path.string()),
                 "an error page needs a body; without one bulwark sends its own page");
    return std::nullopt;
  }
  if (body.size() > kMaxErrorPageBytes) {
    reader.error(value.mark, fmt::format("{}: '{}' is larger than {}", value.what, path.string(),
                                         format_size(kMaxErrorPageBytes)));
    return std::nullopt;
  }
  return body;
}

std::string_view page_type_of(std::string_view file) {
  const std::string extension = to_lower(std::filesystem::path(file).extension().string());
  for (const MediaType& known : kPageTypes) {
    if (known.extension == extension) return known.type;
  }
  return {};
}

void read_error_page(YamlReader& reader, const Value& value, ErrorPage& page) {
  std::optional<Value> file = value;
  std::optional<Value> content_type;
  if (value.node.IsMap()) {
    static constexpr std::array<std::string_view, 3> kKeys{"file", "content_type",
                                                           "intercept_upstream"};
    std::optional<MapView> map = reader.map(value, kKeys);
    if (!map) return;
    file = reader.require(*map, "file");
    if (file) file->what = value.what;  // "404: cannot read ..." either way
    content_type = map->get("content_type");
    if (std::optional<Value> intercept = map->get("intercept_upstream")) {
      page.intercept_upstream = reader.boolean(*intercept).value_or(false);
    }
  }
  if (content_type) {
    if (std::optional<std::string> text = reader.string(*content_type)) {
      if (has_line_break(*text) || text->empty()) {
        reader.error(content_type->mark,
                     "content_type: expected a media type such as text/html; charset=utf-8");
      } else {
        page.content_type = std::move(*text);
      }
    }
  }
  if (!file) return;
  std::optional<std::string> path = reader.string(*file);
  if (!path) return;
  page.file = *path;
  if (!content_type) {
    page.content_type = std::string(page_type_of(*path));
    if (page.content_type.empty()) {
      std::vector<std::string_view> extensions;
      extensions.reserve(kPageTypes.size());
      for (const MediaType& known : kPageTypes)
        extensions.push_back(known.extension);
      reader.error(
          file->mark,
          fmt::format("{}: cannot tell the content type of '{}' from its name", file->what, *path),
          fmt::format("name it {} or give content_type", fmt::join(extensions, ", ")));
    }
  }
  if (std::optional<std::string> body = read_page_file(reader, *file, *path)) {
    page.body = std::move(*body);
  }
}

}  // namespace

void read_obfuscation(YamlReader& reader, const Value& value, Obfuscation& obfuscation) {
  static constexpr std::array<std::string_view, 5> kKeys{
      "strip_headers", "also_strip_headers", "server", "rewrite_redirects", "rewrite_cookies"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> strip = map->get("strip_headers")) {
    obfuscation.strip_headers.clear();
    read_header_names(reader, *strip, obfuscation.strip_headers);
  }
  if (std::optional<Value> also = map->get("also_strip_headers")) {
    read_header_names(reader, *also, obfuscation.strip_headers);
  }
  if (std::optional<Value> server = map->get("server")) {
    if (std::optional<std::string> text = reader.string(*server)) {
      if (has_line_break(*text)) {
        reader.error(server->mark, "server: a header value cannot contain CR, LF or NUL");
      } else {
        obfuscation.server = std::move(*text);
      }
    }
  }
  if (std::optional<Value> redirects = map->get("rewrite_redirects")) {
    if (auto on = reader.boolean(*redirects)) obfuscation.rewrite_redirects = *on;
  }
  if (std::optional<Value> cookies = map->get("rewrite_cookies")) {
    if (auto on = reader.boolean(*cookies)) obfuscation.rewrite_cookies = *on;
  }
}

void read_error_pages(YamlReader& reader, const Value& value, Config& config) {
  std::optional<MapView> map = reader.free_map(value);
  if (!map) return;
  for (const MapView::Field& field : map->fields()) {
    auto status = parse_decimal(field.key);
    if (!status || *status < 400 || *status > 599) {
      reader.error(field.key_mark,
                   fmt::format("error_pages: '{}' is not an error status", field.key),
                   "the keys are statuses from 400 to 599, e.g. 404: errors/404.html");
      continue;
    }
    ErrorPage page;
    page.status = static_cast<std::uint16_t>(*status);
    page.mark = field.key_mark;
    read_error_page(reader, field.value, page);
    if (!page.body.empty() && !page.content_type.empty()) {
      config.error_pages.push_back(std::move(page));
    }
  }
}

}  // namespace bulwark::config::schema
