#pragma once
#include <asio/ip/tcp.hpp>
#include <cstdint>

#include "core/io.h"
#include "core/timeout_list.h"
#include "net/tls/transport.h"
#include "upstream/state_board.h"

namespace bulwark::upstream {

// One connection to a backend (TCP, or TLS over it). Owned by its worker's EndpointPool while idle
// and by a stream while in use; never shared.
struct UpstreamConnection {
  explicit UpstreamConnection(const core::Executor& executor) : transport(executor) {}
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;
  ~UpstreamConnection() {
    transport.notify_close();
    if (counted_by_) counted_by_->connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // Counts it in `counters`' open connections (a circuit breaker's gauge) for its life.
  void count_in(std::shared_ptr<ClusterCounters> counters) {
    counters->connections.fetch_add(1, std::memory_order_relaxed);
    counted_by_ = std::move(counters);
  }

  net::Transport transport;    // TLS once the cluster's handshake is done
  std::uint64_t id = 0;        // unique per worker: stale close-watch handlers compare it
  std::uint32_t requests = 0;  // requests sent on it so far; > 0 means it is being reused
  core::Clock::time_point idle_since;
  bool watched = false;  // a read watches it for a close while it is idle
  char watch_byte = 0;   // target of that read

 private:
  std::shared_ptr<ClusterCounters> counted_by_;
};

}  // namespace bulwark::upstream
