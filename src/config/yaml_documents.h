#pragma once
// A first pass over the YAML text that counts its documents, before the tree is built.
//
// Why not YAML::LoadAll: in yaml-cpp 0.7 a stray flow token at document level (a file that is
// just ",") yields an empty document without consuming the token, so LoadAll loops forever,
// allocating until the process dies. This pass stops as soon as a document makes no progress.

#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostic.h"

namespace bulwark::config {

// Nothing when `yaml` holds at most one well-formed document; otherwise the one problem to report
// (a syntax error, a stuck token, or several documents).
[[nodiscard]] std::optional<Diagnostic> check_single_document(std::string_view yaml,
                                                              const std::string& file);

// The diagnostic for a yaml-cpp exception (syntax error), with a hint for the common causes.
[[nodiscard]] Diagnostic syntax_error(const std::string& message, int line, int column,
                                      std::string_view yaml, const std::string& file);

}  // namespace bulwark::config
