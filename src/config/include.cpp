#include "config/include.h"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <map>

#include "config/suggest.h"
#include "config/yaml_documents.h"

namespace bulwark::config {
namespace {

constexpr std::array<std::string_view, 4> kIncludedKeys{"listeners", "clusters", "filters",
                                                        "include"};

bool is_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// One file however it is named ("conf/a.yaml", "./conf/../conf/a.yaml"). The main file's name
// may not exist (a string loaded under a made-up name); it is still a name to compare.
std::string identity_of(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

// The regular files a glob matches, in sorted order.
std::expected<std::vector<std::string>, std::string> expand(const std::string& pattern) {
  glob_t found{};
  // GLOB_MARK ends directory names with '/', so they can be left out.
  const int status = ::glob(pattern.c_str(), GLOB_MARK, nullptr, &found);
  std::vector<std::string> paths;
  if (status == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
      const std::string_view path = found.gl_pathv[i];
      if (!path.ends_with('/')) paths.emplace_back(path);
    }
  }
  ::globfree(&found);
  if (status == GLOB_NOSPACE) return std::unexpected("out of memory");
  if (status == GLOB_ABORTED) return std::unexpected("a directory could not be read");
  return paths;
}

class IncludeWalker {
 public:
  IncludeWalker(const std::string& main_file, std::span<const std::string_view> top_level_keys)
      : top_level_keys_(top_level_keys) {
    chain_.push_back(Link{identity_of(main_file), main_file});
  }

  // Reads the entries of `include`, a value in the file `reader` reads.
  void walk(YamlReader& reader, const Value& include) {
    std::optional<std::vector<Value>> entries = reader.list(include);
    if (!entries) return;
    const std::filesystem::path directory = std::filesystem::path(reader.file()).parent_path();
    for (const Value& entry : *entries) {
      std::optional<std::string> text = reader.string(entry);
      if (!text) continue;
      if (text->empty()) {
        reader.error(entry.mark, fmt::format("{}: the path is empty", entry.what));
        continue;
      }
      const std::string path = (directory / *text).string();
      if (!is_glob(*text)) {
        include_file(reader, entry, path);
        continue;
      }
      auto matches = expand(path);
      if (!matches) {
        reader.error(entry.mark,
                     fmt::format("{}: cannot expand '{}': {}", entry.what, path, matches.error()));
        continue;
      }
      for (const std::string& match : *matches)
        include_file(reader, entry, match);
    }
  }

  std::vector<IncludedFile> take() {
    return {std::make_move_iterator(files_.begin()), std::make_move_iterator(files_.end())};
  }

 private:
  struct Link {
    std::string identity;
    std::string name;  // as diagnostics name it
  };

  void include_file(YamlReader& reader, const Value& entry, const std::string& path) {
    const std::string identity = identity_of(path);
    const auto open = std::find_if(chain_.begin(), chain_.end(),
                                   [&](const Link& link) { return link.identity == identity; });
    if (open != chain_.end()) {
      std::string cycle;
      for (auto link = open; link != chain_.end(); ++link)
        cycle += link->name + " -> ";
      reader.error(entry.mark, fmt::format("{}: include cycle: {}{}", entry.what, cycle, path),
                   "a file must not include itself, directly or through other files");
      return;
    }
    if (auto first = included_.find(identity); first != included_.end()) {
      const SourceMark& at = first->second;
      reader.error(entry.mark,
                   fmt::format("{}: '{}' is already included (at {}:{}:{})", entry.what, path,
                               at.file, at.line, at.column),
                   "include each file once");
      return;
    }
    auto text = read_config_text(path);
    if (!text) {
      reader.error(entry.mark,
                   fmt::format("{}: cannot read '{}': {}", entry.what, path, text.error()));
      return;
    }
    included_.emplace(identity, entry.mark);
    // A deque: the reader stays where it is while the files it includes are appended.
    IncludedFile& file = files_.emplace_back(IncludedFile{reader.for_file(path), {}});
    auto root = parse_document(*text, path);
    if (!root) {
      file.reader.error(root.error().mark, root.error().message, root.error().hint);
      return;
    }
    std::optional<MapView> sections = file.reader.free_map(file.reader.root(*root));
    if (!sections) return;
    check_keys(file.reader, *sections);
    file.sections = std::move(*sections);
    if (std::optional<Value> nested = file.sections.get("include")) {
      chain_.push_back(Link{identity, path});
      walk(file.reader, *nested);
      chain_.pop_back();
    }
  }

  void check_keys(YamlReader& reader, const MapView& sections) {
    for (const MapView::Field& field : sections.fields()) {
      if (std::ranges::find(kIncludedKeys, field.key) != kIncludedKeys.end()) continue;
      if (std::ranges::find(top_level_keys_, field.key) != top_level_keys_.end()) {
        reader.error(field.key_mark,
                     fmt::format("'{}' cannot be set in an included file", field.key),
                     fmt::format("set it in {}; an included file holds only listeners, clusters, "
                                 "filters and include",
                                 chain_.front().name));
        continue;
      }
      std::string hint = did_you_mean(field.key, kIncludedKeys);
      if (hint.empty())
        hint = "an included file holds only listeners, clusters, filters and include";
      reader.error(field.key_mark, fmt::format("unknown key '{}'", field.key), std::move(hint));
    }
  }

  std::span<const std::string_view> top_level_keys_;
  std::vector<Link> chain_;                     // the main file, then the files being included
  std::map<std::string, SourceMark> included_;  // identity -> the entry that included it
  std::deque<IncludedFile> files_;
};

}  // namespace

std::vector<IncludedFile> read_includes(YamlReader& reader, const Value& include,
                                        std::span<const std::string_view> top_level_keys) {
  IncludeWalker walker(reader.file(), top_level_keys);
  walker.walk(reader, include);
  return walker.take();
}

}  // namespace bulwark::config
