#pragma once
// Process wiring: workers, listeners, signals, reload, the pid file and shutdown.
//   SIGTERM          graceful: stop accepting, finish in-flight requests (up to timeouts.drain),
//                    close idle keep-alive connections, exit 0
//   SIGINT, SIGQUIT  fast: stop at once, exit 0
//   SIGHUP           reload the configuration (also `bulwark reload`); one that fails changes
//                    nothing (docs/operations.md)
//   SIGUSR1          reopen the access log (after rotation)

#include <functional>

#include "config/config.h"
#include "config/loader.h"

namespace bulwark::server {

using ReloadFn = std::function<config::LoadResult()>;

// Runs until a stop signal; returns the process exit code.
int run(config::ConfigPtr config, ReloadFn reload);

}  // namespace bulwark::server
