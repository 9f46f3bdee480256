#pragma once
// One problem found in a configuration, pointing at where it is (DESIGN.md §6):
//   examples/quickstart.yaml:12:7: unknown key 'listner'
//     hint: did you mean 'listen'?

#include <string>

#include "config/config.h"

namespace bulwark::config {

struct Diagnostic {
  SourceMark mark;  // line 0: not from a file position (the file as a whole, or the command line)
  std::string message;
  std::string hint;  // empty: none

  // "file:line:column: message" (+ "\n  hint: ..."); "file: message" when line is 0, and just the
  // message when there is no file either.
  [[nodiscard]] std::string format() const;
};

}  // namespace bulwark::config
