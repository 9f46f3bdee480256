#pragma once
// The running configuration as JSON, for GET /api/config: the settings an operator checks
// (workers, listeners with their hosts and routes, clusters with their endpoints, logs, admin),
// not every field. Secrets never appear: the admin token is "<redacted>", and files that hold
// secrets (keys, cookie secrets) are shown by path only.

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace bulwark::admin {

inline constexpr std::string_view kRedacted = "<redacted>";

[[nodiscard]] nlohmann::json config_view(const config::Config& config);

}  // namespace bulwark::admin
