#pragma once
// The process-wide noticeboard of upstream state: one EndpointState per (cluster, endpoint
// identity) and one ClusterCounters per cluster, kept across reloads by name, plus the epoch
// that every availability change advances. Workers read the epoch once per pick (a relaxed load
// of a line that is written only when something changes) and refresh their balancers only when
// it moved; nothing here is locked per request.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "upstream/endpoint_state.h"

namespace bulwark::upstream {

// Cluster-wide counts that all workers share: the circuit breakers' gauges.
struct ClusterCounters {
  std::atomic<std::uint32_t> connections{0};      // open upstream connections
  std::atomic<std::uint32_t> pending{0};          // requests waiting for a connection
  std::atomic<std::uint32_t> active_requests{0};  // requests sent and not yet answered
  std::atomic<std::uint32_t> active_retries{0};   // retries in progress
  std::atomic<std::uint64_t> overflows{0};        // requests refused by a breaker (a metric)
  std::atomic<bool> panic{false};  // in panic mode (so that one worker says so, not each)
};

class StateBoard {
 public:
  StateBoard() = default;
  StateBoard(const StateBoard&) = delete;
  StateBoard& operator=(const StateBoard&) = delete;

  // The state of `identity` in cluster `cluster`, created on first use (at snapshot build, off
  // the workers; takes a lock).
  std::shared_ptr<EndpointState> endpoint(std::string_view cluster, std::string_view identity);
  std::shared_ptr<ClusterCounters> counters(std::string_view cluster);
  // The state of `identity` in `cluster` while a snapshot names it, else nullptr (for operator
  // commands, which must not create endpoints).
  std::shared_ptr<EndpointState> find(std::string_view cluster, std::string_view identity);

  // Advanced by every change of an endpoint's availability.
  [[nodiscard]] std::uint64_t epoch() const noexcept {
    return epoch_.load(std::memory_order_acquire);
  }
  void advance() noexcept { epoch_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  void forget_expired();  // under mutex_

  std::mutex mutex_;
  std::size_t swept_size_ = 32;
  // Weak: an endpoint no snapshot names any more is forgotten with its last snapshot.
  std::map<std::string, std::weak_ptr<EndpointState>, std::less<>> endpoints_;  // by key_of()
  std::map<std::string, std::weak_ptr<ClusterCounters>, std::less<>> counters_;
  std::atomic<std::uint64_t> epoch_{1};
};

}  // namespace bulwark::upstream
