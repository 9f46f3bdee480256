#pragma once
// Idle keep-alive connections to one endpoint, for one worker. Most recently used first (its
// connection is warm, and surplus connections at the old end time out). A connection that stays
// idle past one tick of its worker is watched by a one-byte read: a backend that closes it, or
// sends anything unasked, gets it dropped before a request can fail on it.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <memory>

#include "config/config.h"
#include "core/io.h"
#include "upstream/pool_directory.h"
#include "upstream/upstream_connection.h"

namespace bulwark::upstream {

using ConnectionPtr = std::unique_ptr<UpstreamConnection>;

// An idle connection on its way from one worker's loop to another's.
struct ReleasedConnection {
  int descriptor = -1;
  net::tls::SslPtr ssl;  // null for plain TCP
};

class EndpointPool {
 public:
  EndpointPool(asio::io_context& io, std::size_t worker, const asio::ip::tcp::endpoint& endpoint,
               const config::PoolSettings& settings, EndpointSlots& slots);
  EndpointPool(const EndpointPool&) = delete;
  EndpointPool& operator=(const EndpointPool&) = delete;
  ~EndpointPool();

  [[nodiscard]] const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  [[nodiscard]] std::size_t idle_count() const noexcept { return idle_.size(); }

  // This worker's most recently parked connection, or nullptr.
  ConnectionPtr take_idle();
  // An idle connection another worker holds, moved onto this worker's loop, or nullptr.
  core::Task<ConnectionPtr> steal_from_peers();
  // A new, unconnected socket for this endpoint on this worker's loop.
  ConnectionPtr make_connection();
  // Parks a connection whose last exchange ended cleanly. Past max_idle_per_endpoint the oldest
  // idle connection is closed.
  void put_idle(ConnectionPtr connection);
  // Closes connections idle for longer than idle_timeout and starts watching the others. Called
  // by the worker's tick.
  void expire_idle(core::Clock::time_point now);
  void close_all() noexcept;

  // Counters for tests and metrics.
  [[nodiscard]] std::uint64_t connections_opened() const noexcept { return opened_; }
  [[nodiscard]] std::uint64_t connections_stolen() const noexcept { return stolen_; }

 private:
  // Runs on this pool's worker for a peer: detaches one idle connection (descriptor and TLS
  // state) for the peer to adopt.
  ReleasedConnection release_idle();
  // Starts watching an idle connection for a close; false when it is unusable already.
  bool watch(UpstreamConnection& connection);
  void drop_idle(std::uint64_t id);
  void publish_idle_count() noexcept;

  asio::io_context& io_;
  std::size_t worker_;
  asio::ip::tcp::endpoint endpoint_;
  config::PoolSettings settings_;
  EndpointSlots& slots_;
  std::deque<ConnectionPtr> idle_;  // back = most recently parked
  std::uint64_t next_id_ = 1;
  std::uint64_t opened_ = 0;
  std::uint64_t stolen_ = 0;
};

}  // namespace bulwark::upstream
