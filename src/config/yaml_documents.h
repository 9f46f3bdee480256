#pragma once
// Configuration files to YAML trees: reading a file with a size cap, and a first pass over the
// text that counts its documents before the tree is built.
//
// Why not YAML::LoadAll: in yaml-cpp 0.7 a stray flow token at document level (a file that is
// just ",") yields an empty document without consuming the token, so LoadAll loops forever,
// allocating until the process dies. This pass stops as soon as a document makes no progress.

#include <yaml-cpp/yaml.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostic.h"

namespace bulwark::config {

// The text of the file at `path`, or why it cannot be read ("No such file or directory", "larger
// than 16 MiB").
[[nodiscard]] std::expected<std::string, std::string> read_config_text(const std::string& path);

// The one document of `yaml` (a null node for an empty text), or the problem to report, with
// `file` in its position.
[[nodiscard]] std::expected<YAML::Node, Diagnostic> parse_document(std::string_view yaml,
                                                                   const std::string& file);

// Nothing when `yaml` holds at most one well-formed document; otherwise the one problem to report
// (a syntax error, a stuck token, or several documents).
[[nodiscard]] std::optional<Diagnostic> check_single_document(std::string_view yaml,
                                                              const std::string& file);

// The diagnostic for a yaml-cpp exception (syntax error), with a hint for the common causes.
[[nodiscard]] Diagnostic syntax_error(const std::string& message, int line, int column,
                                      std::string_view yaml, const std::string& file);

}  // namespace bulwark::config
