#include "config/diagnostic.h"

#include <fmt/format.h>

namespace bulwark::config {

std::string Diagnostic::format() const {
  std::string text;
  if (mark.line > 0) {
    text = fmt::format("{}:{}:{}: {}", mark.file, mark.line, mark.column, message);
  } else if (!mark.file.empty()) {
    text = fmt::format("{}: {}", mark.file, message);
  } else {
    text = message;
  }
  if (!hint.empty()) text += fmt::format("\n  hint: {}", hint);
  return text;
}

}  // namespace bulwark::config
