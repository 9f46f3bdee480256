#pragma once
#include <asio/ip/tcp.hpp>
#include <cstdint>

#include "core/io.h"
#include "core/timeout_list.h"

namespace bulwark::upstream {

// One TCP connection to a backend. Owned by its worker's EndpointPool while idle and by a stream
// while in use; never shared.
struct UpstreamConnection {
  explicit UpstreamConnection(const core::Executor& executor) : socket(executor) {}

  core::TcpSocket socket;
  std::uint64_t id = 0;        // unique per worker: stale close-watch handlers compare it
  std::uint32_t requests = 0;  // requests sent on it so far; > 0 means it is being reused
  core::Clock::time_point idle_since;
  bool watched = false;  // a read watches it for a close while it is idle
  char watch_byte = 0;   // target of that read
};

}  // namespace bulwark::upstream
