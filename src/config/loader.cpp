#include "config/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "config/schema.h"
#include "config/tls_files.h"
#include "config/yaml_documents.h"
#include "config/yaml_reader.h"

namespace bulwark::config {
namespace {

LoadResult failure(std::vector<Diagnostic> errors) {
  return LoadResult{nullptr, std::move(errors)};
}

// File order: the main file first, then each included file in the order it was included (the
// order its problems were first reported in), each by line and column.
void sort_by_position(std::vector<Diagnostic>& errors, const std::string& main_file) {
  std::map<std::string, std::size_t> rank{{main_file, 0}};
  for (const Diagnostic& d : errors)
    rank.try_emplace(d.mark.file, rank.size());
  std::stable_sort(errors.begin(), errors.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const std::size_t rank_a = rank[a.mark.file];
    const std::size_t rank_b = rank[b.mark.file];
    if (rank_a != rank_b) return rank_a < rank_b;
    if (a.mark.line != b.mark.line) return a.mark.line < b.mark.line;
    return a.mark.column < b.mark.column;
  });
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, const std::string& file_name_for_messages) {
  const std::string& file = file_name_for_messages;
  auto root = parse_document(yaml, file);
  if (!root) return failure({std::move(root.error())});
  YamlReader reader(file, process_env);
  auto config = std::make_shared<Config>();
  config->source = file;
  try {
    schema::read_root(reader, reader.root(*root), *config);
  } catch (const std::exception& e) {
    // The reader checks node types before converting, so this is a bug; still, never throw.
    reader.error(SourceMark{file, 0, 0}, fmt::format("internal error while loading: {}", e.what()));
  }
  std::vector<Diagnostic> errors = reader.take_errors();
  if (!errors.empty()) {
    sort_by_position(errors, file);
    return failure(std::move(errors));
  }
  return LoadResult{std::move(config), {}};
}

LoadResult load_config_file(const std::string& path) {
  auto text = read_config_text(path);
  if (!text) {
    return failure({Diagnostic{
        SourceMark{}, fmt::format("cannot read config '{}': {}", path, text.error()), {}}});
  }
  LoadResult loaded = load_config_string(*text, path);
  if (!loaded.config) return loaded;
  std::vector<Diagnostic> errors = check_tls_files(*loaded.config);
  if (!errors.empty()) return failure(std::move(errors));
  return loaded;
}

}  // namespace bulwark::config
