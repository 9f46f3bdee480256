#pragma once
#include <string>

namespace bulwark::config {

// Where a configuration item came from, for messages that point at it ("file:line:column").
struct SourceMark {
  std::string file;
  int line = 0;    // 1-based; 0 when the item did not come from a file (quick mode)
  int column = 0;  // 1-based
};

}  // namespace bulwark::config
