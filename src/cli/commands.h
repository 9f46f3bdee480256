#pragma once
// What each subcommand does once its options are parsed.

#include <string>

#include "config/quick_config.h"

namespace bulwark::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// bulwark run -c FILE
int run_config_file(const std::string& path);
// bulwark validate -c FILE
int validate_config_file(const std::string& path);
// bulwark proxy --listen ... --to ...
int run_quick_proxy(const config::QuickOptions& options);

}  // namespace bulwark::cli
