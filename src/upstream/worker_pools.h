#pragma once
// One worker's EndpointPools, keyed by endpoint. Pools outlive configuration snapshots: a reload
// that keeps an endpoint keeps its warm connections.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <unordered_map>

#include "upstream/endpoint_pool.h"

namespace bulwark::upstream {

class WorkerPools {
 public:
  WorkerPools(asio::io_context& io, std::size_t worker, PoolDirectory& directory)
      : io_(io), worker_(worker), directory_(directory) {}

  EndpointPool& pool_for(const asio::ip::tcp::endpoint& endpoint,
                         const config::PoolSettings& settings);
  void expire_idle(core::Clock::time_point now);
  void close_all() noexcept;
  [[nodiscard]] std::uint64_t connections_opened() const noexcept;

 private:
  asio::io_context& io_;
  std::size_t worker_;
  PoolDirectory& directory_;
  std::unordered_map<asio::ip::tcp::endpoint, std::unique_ptr<EndpointPool>> pools_;
};

}  // namespace bulwark::upstream
