#pragma once
// The error log: leveled, thread-safe, to standard error or a file. Not on the per-request path
// except for failures; the access log is separate (proxy/access_log.h).

#include <spdlog/spdlog.h>

#include <string>

#include "core/log_level.h"

namespace bulwark::core {

// Replaces the global logger. `path` empty means standard error. Returns false and fills
// `error` when the file cannot be opened; the previous logger stays then.
bool configure_error_log(const std::string& path, LogLevel level, std::string& error);

}  // namespace bulwark::core

// Logging macros keep the call sites short and skip argument formatting below the level.
#define BULWARK_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define BULWARK_LOG_INFO(...) spdlog::info(__VA_ARGS__)
#define BULWARK_LOG_WARN(...) spdlog::warn(__VA_ARGS__)
#define BULWARK_LOG_ERROR(...) spdlog::error(__VA_ARGS__)
