#pragma once
// One worker's HTTP/2 connections to backends. A request takes the first connection of its
// cluster and endpoint that has a free stream; only when none has does it open another, so many
// client requests share few upstream connections.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "proxy/h2_upstream_connection.h"

namespace bulwark::proxy {

class H2UpstreamPool {
 public:
  H2UpstreamPool() = default;
  H2UpstreamPool(const H2UpstreamPool&) = delete;
  H2UpstreamPool& operator=(const H2UpstreamPool&) = delete;

  // A connection to `endpoint` for `cluster` that can take a stream now, or nullptr.
  [[nodiscard]] H2UpstreamConnection* find(std::string_view cluster,
                                           const asio::ip::tcp::endpoint& endpoint) const noexcept;
  H2UpstreamConnection& add(std::unique_ptr<H2UpstreamConnection> connection);
  // Destroys the connection (its last reference went).
  void remove(H2UpstreamConnection& connection) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return connections_.size(); }

  // A connection being made to `endpoint` for `cluster`, from start_connecting until its guard
  // goes: requests that find no connection with a free stream meanwhile wait for it instead of
  // each opening their own (a burst of requests would otherwise open one connection each).
  class ConnectingGuard {
   public:
    ConnectingGuard(H2UpstreamPool& pool, std::size_t id) noexcept : pool_(&pool), id_(id) {}
    ConnectingGuard(const ConnectingGuard&) = delete;
    ConnectingGuard& operator=(const ConnectingGuard&) = delete;
    ~ConnectingGuard() { pool_->finish_connecting(id_); }

   private:
    H2UpstreamPool* pool_;
    std::size_t id_;
  };
  // `limit`: the connect timeout; waiters give up waiting after it.
  [[nodiscard]] ConnectingGuard start_connecting(std::string_view cluster,
                                                 const asio::ip::tcp::endpoint& endpoint,
                                                 const core::Executor& executor,
                                                 core::Clock::duration limit);
  // Waits until the connection being made for `cluster` and `endpoint` is made, fails or takes
  // too long; false at once when none is being made.
  core::Task<bool> wait_for_connecting(std::string_view cluster,
                                       const asio::ip::tcp::endpoint& endpoint);

 private:
  struct Connecting {
    std::size_t id;
    std::string cluster;
    asio::ip::tcp::endpoint endpoint;
    core::SteadyTimer done;  // expires at the connect timeout; cancelled when the connect ends
  };
  void finish_connecting(std::size_t id) noexcept;

  std::vector<std::unique_ptr<H2UpstreamConnection>> connections_;
  std::vector<std::unique_ptr<Connecting>> connecting_;
  std::size_t next_connecting_ = 0;
};

}  // namespace bulwark::proxy
