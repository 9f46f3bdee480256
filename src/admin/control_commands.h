#pragma once
// The operator's command language, one command per line, as the control socket speaks it and
// the admin API can pass through:
//
//   endpoints [CLUSTER]
//   endpoint drain|disable|enable CLUSTER HOST:PORT
//   help
//
// Each answer is `ok`, `error: WHAT` (one line), or for `endpoints` and `help` their lines.
// Transport-free: text in, text out, over the running snapshot's clusters.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/cluster.h"

namespace bulwark::admin {

struct ControlAnswer {
  bool ok = true;
  std::string text;  // without a final newline
};

// The blank-separated words of a command line (blanks: space, tab, CR).
[[nodiscard]] std::vector<std::string_view> words_of(std::string_view line);

[[nodiscard]] ControlAnswer run_control_command(std::string_view line,
                                                std::span<const upstream::Cluster> clusters);

}  // namespace bulwark::admin
