#pragma once
// Which cluster a TLS passthrough listener sends a server name to.

#include <cstddef>
#include <optional>
#include <string_view>

#include "config/protocols.h"

namespace bulwark::proxy {

// An exact server name first, then the longest "*.suffix" pattern that matches (any depth below
// the suffix), else the listener's own cluster; nullopt when it has none.
std::optional<std::size_t> route_server_name(const config::Layer4& layer4, std::string_view name);

}  // namespace bulwark::proxy
