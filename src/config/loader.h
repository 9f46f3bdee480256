#pragma once
// YAML file (and the files it includes) -> validated Config (docs/config.md). Every problem is
// reported at once, each as "file:line:column: message" with a hint where one helps, naming the
// file it is in; nothing throws.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace bulwark::config {

struct LoadResult {
  ConfigPtr config;                // null when `errors` is not empty
  std::vector<Diagnostic> errors;  // the main file's first, then each included file's; in order
};

// Reads and loads a file. An unreadable file gives one diagnostic without a position:
// "cannot read config 'x.yaml': No such file or directory".
[[nodiscard]] LoadResult load_config_file(const std::string& path);

// Loads YAML text; `file_name_for_messages` names it in diagnostics and becomes Config::source,
// and its directory is where relative `include:` paths start. ${VAR} takes values from the
// process environment.
[[nodiscard]] LoadResult load_config_string(std::string_view yaml,
                                            const std::string& file_name_for_messages);

}  // namespace bulwark::config
