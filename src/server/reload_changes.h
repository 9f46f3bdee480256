#pragma once
// What a reload changes: which listeners open and close (a listener is known by its name), which
// settings keep their running value until a restart, and the one line the log says about it.

#include <expected>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/proxy_snapshot.h"

namespace bulwark::server {

struct ReloadChanges {
  std::vector<std::string> added;    // listeners only in the new configuration
  std::vector<std::string> removed;  // listeners only in the running one
  std::vector<std::string> moved;    // the same name on a new address: closed and reopened
  // Settings the process was started with and keeps until a restart (its workers, their buffer
  // pools, the logs, the connection limiter), each as "workers 2 -> 4".
  std::vector<std::string> restart_only;
  // "listeners added b; removed c; 7 route(s) (was 6), 2 listener(s), 1 cluster(s)"
  std::string summary;

  [[nodiscard]] std::vector<std::string> to_open() const;   // added and moved
  [[nodiscard]] std::vector<std::string> to_close() const;  // removed and moved
};

// `running` is the snapshot in use; `started` the configuration the process started with. Fails
// when `next` cannot run on what only a restart changes (a request head larger than the buffers).
[[nodiscard]] std::expected<ReloadChanges, std::string> compare(const proxy::ProxySnapshot& running,
                                                                const proxy::ProxySnapshot& next,
                                                                const config::Config& started);

}  // namespace bulwark::server
