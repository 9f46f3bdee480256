#pragma once
// Lets a worker find idle upstream connections that other workers hold (DESIGN.md §1 "Pool":
// cross-thread reuse was most of Pingora's win over nginx). Each endpoint has one slot per
// worker; a slot publishes how many idle connections its worker has, so a peer can check without
// a lock and ask for one only when there is one.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace bulwark::upstream {

class EndpointPool;

struct PoolSlot {
  std::atomic<EndpointPool*> pool{nullptr};  // set once by the owning worker
  std::atomic<std::uint32_t> idle_count{0};  // relaxed hint, may be stale
  asio::io_context* io = nullptr;            // the owning worker's loop
};

struct EndpointSlots {
  explicit EndpointSlots(std::size_t workers) : slots(workers) {}
  std::vector<PoolSlot> slots;  // index = worker index
};

class PoolDirectory {
 public:
  PoolDirectory() = default;
  PoolDirectory(const PoolDirectory&) = delete;
  PoolDirectory& operator=(const PoolDirectory&) = delete;

  // Once, before any worker runs: the loop of each worker, by worker index.
  void set_loops(std::vector<asio::io_context*> worker_loops) { loops_ = std::move(worker_loops); }

  // The slots for `endpoint`, created on first use. The mutex is taken only when a worker opens a
  // pool for an endpoint for the first time, never per request.
  EndpointSlots& slots_for(const asio::ip::tcp::endpoint& endpoint);
  [[nodiscard]] std::size_t workers() const noexcept { return loops_.size(); }

 private:
  std::vector<asio::io_context*> loops_;
  std::mutex mutex_;
  std::map<asio::ip::tcp::endpoint, std::unique_ptr<EndpointSlots>> endpoints_;
};

}  // namespace bulwark::upstream
