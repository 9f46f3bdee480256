#pragma once
// The one line `bulwark validate` prints for a good configuration:
//   examples/quickstart.yaml: OK — 3 listeners, 1 cluster (2 endpoints), 4 routes, workers auto (2)

#include <string>

#include "config/config.h"

namespace bulwark::cli {

[[nodiscard]] std::string summarize(const config::Config& config);

}  // namespace bulwark::cli
