#pragma once
// The data path's I/O vocabulary, as the proxy module spells it.

#include "core/io.h"

namespace bulwark::proxy {

using core::kAsTuple;
using core::to_asio;
using core::view;

}  // namespace bulwark::proxy
