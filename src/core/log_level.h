#pragma once

namespace bulwark::core {

enum class LogLevel : unsigned char { kTrace, kDebug, kInfo, kWarn, kError, kOff };

}  // namespace bulwark::core
