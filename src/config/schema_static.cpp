// static: files served from a directory (router/static/). The root is checked here, at load, so
// that a typo fails `bulwark validate` instead of turning every request into a 404.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

void read_root(YamlReader& reader, const Value& value, StaticAction& files) {
  std::optional<std::string> root = reader.string(value);
  if (!root) return;
  if (!root->starts_with('/')) {
    reader.error(value.mark, fmt::format("root: '{}' is not an absolute path", *root),
                 "write the directory from /, e.g. /srv/www");
    return;
  }
  // Opening it proves all three: it exists, it is a directory, and bulwark may read it.
  const int fd = ::open(root->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    std::string reason;
    switch (error) {
      case ENOENT:
        reason = "does not exist";
        break;
      case ENOTDIR:
        reason = "is not a directory";
        break;
      case EACCES:
        reason = "cannot be read by bulwark (permission denied)";
        break;
      default:
        reason = fmt::format("cannot be opened: {}", std::strerror(error));
    }
    reader.error(value.mark, fmt::format("root: directory '{}' {}", *root, reason));
    return;
  }
  ::close(fd);
  files.root = std::move(*root);
}

void read_index(YamlReader& reader, const Value& value, StaticAction& files) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  files.index.clear();
  for (const Value& item : *items) {
    std::optional<std::string> name = reader.string(item);
    if (!name) continue;
    if (name->empty() || *name == "." || *name == ".." ||
        name->find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      reader.error(item.mark, fmt::format("{}: '{}' is not a plain file name", item.what, *name),
                   "an index names a file inside the requested directory, e.g. index.html");
      continue;
    }
    files.index.push_back(std::move(*name));
  }
}

void read_prefix_rewrite(YamlReader& reader, const Value& value, const RouteMatch& match,
                         StaticAction& files) {
  std::optional<std::string> rewrite = reader.string(value);
  if (!rewrite) return;
  if (match.path_kind != PathMatchKind::kPrefix) {
    reader.error(value.mark, "prefix_rewrite: the route does not match by prefix",
                 "use match: { prefix: /PATH/ }, or drop prefix_rewrite");
    return;
  }
  if (!rewrite->starts_with('/')) {
    reader.error(value.mark, fmt::format("prefix_rewrite: '{}' must start with '/'", *rewrite));
    return;
  }
  for (const char c : *rewrite) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '?' || c == '#') {
      reader.error(value.mark, fmt::format("prefix_rewrite: '{}' is not a plain path", *rewrite),
                   "no spaces, control characters, query ('?') or fragment ('#')");
      return;
    }
  }
  files.prefix_rewrite = std::move(*rewrite);
}

void read_precompressed(YamlReader& reader, const Value& value, StaticAction& files) {
  static constexpr std::array<std::string_view, 3> kTokens{"zstd", "br", "gzip"};
  static constexpr std::array<compress::Coding, 3> kCodings{
      compress::Coding::kZstd, compress::Coding::kBrotli, compress::Coding::kGzip};
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  for (const Value& item : *items) {
    const std::optional<std::size_t> index = reader.choice(item, kTokens);
    if (!index) continue;
    if (std::ranges::find(files.precompressed, kCodings[*index]) != files.precompressed.end()) {
      reader.error(item.mark, fmt::format("{}: {} is listed twice", item.what, kTokens[*index]));
      continue;
    }
    files.precompressed.push_back(kCodings[*index]);
  }
}

}  // namespace

void read_static(YamlReader& reader, const Value& value, const RouteMatch& match,
                 StaticAction& files) {
  static constexpr std::array<std::string_view, 5> kKeys{"root", "index", "dotfiles",
                                                         "prefix_rewrite", "precompressed"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  if (std::optional<Value> root = reader.require(*map, "root")) read_root(reader, *root, files);
  if (std::optional<Value> index = map->get("index")) read_index(reader, *index, files);
  if (std::optional<Value> dotfiles = map->get("dotfiles")) {
    if (std::optional<bool> allowed = reader.boolean(*dotfiles)) files.dotfiles = *allowed;
  }
  if (std::optional<Value> rewrite = map->get("prefix_rewrite")) {
    read_prefix_rewrite(reader, *rewrite, match, files);
  }
  if (std::optional<Value> codings = map->get("precompressed")) {
    read_precompressed(reader, *codings, files);
  }
}

}  // namespace bulwark::config::schema
