#pragma once
// include: files whose listeners, clusters and filters join the including file's
// (docs/config.md#include). Entries are paths or globs relative to the including file's
// directory; a glob that matches nothing is fine, a missing path is an error. Included files may
// include others; a file included twice, or a cycle, is an error.

#include <span>
#include <string_view>
#include <vector>

#include "config/yaml_reader.h"

namespace bulwark::config {

// One included file, with its own reader so that its diagnostics name it.
struct IncludedFile {
  YamlReader reader;
  // Its top-level keys; only listeners, clusters and filters are left for the caller to read.
  MapView sections;
};

// The files that `include` (a value of the file `reader` reads) names, and those they include,
// depth first: each file comes before the files it includes. Problems with an entry are reported
// through the reader of the file that holds the entry; problems inside an included file through
// that file's reader. `top_level_keys` are the keys of the main file, to tell a setting that
// belongs there from a misspelt key.
[[nodiscard]] std::vector<IncludedFile> read_includes(
    YamlReader& reader, const Value& include, std::span<const std::string_view> top_level_keys);

}  // namespace bulwark::config
