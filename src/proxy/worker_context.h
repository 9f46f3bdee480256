#pragma once
// What one worker thread owns (DESIGN.md §2: shared nothing on the hot path): its loop, buffers,
// deadlines, upstream pools, balancer state, access log buffer and recycled streams.

#include <array>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/metrics.h"
#include "core/timeout_list.h"
#include "http/http_date.h"
#include "proxy/access_log.h"
#include "proxy/connection_limiter.h"
#include "proxy/h2_upstream_pool.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream.h"
#include "upstream/endpoint_picker.h"
#include "upstream/worker_pools.h"

namespace bulwark::proxy {

struct WorkerShared {  // process-wide pieces every worker refers to
  upstream::PoolDirectory& pools;
  AccessLogSink* access_log;  // nullptr: access log off
  config::AccessLogFormat access_log_format;
  ConnectionLimiter& limiter;
  std::size_t buffer_size;
  upstream::StateBoard& board;  // endpoints' health, ejections, operator states
  core::Metrics& metrics;       // this worker writes only its own counters
};

class WorkerContext {
 public:
  WorkerContext(asio::io_context& io, std::size_t index, const WorkerShared& shared);
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  // Makes `snapshot` the one new connections use (called on this worker's thread).
  void install(SnapshotPtr snapshot);
  [[nodiscard]] const SnapshotPtr& snapshot() const noexcept { return snapshot_; }
  // The picker of cluster `cluster` of `snapshot`, built when it was installed; nullptr when
  // `snapshot` is no longer the installed one (a connection still on an older snapshot may name
  // a cluster index the current one lacks, or one with other endpoints): such a request picks
  // with stale_pick() instead.
  [[nodiscard]] upstream::EndpointPicker* picker(const ProxySnapshot& snapshot,
                                                 std::size_t cluster) const noexcept;
  // Round robin over `endpoint_count` (> 0) for requests of an older snapshot.
  std::size_t stale_pick(std::size_t endpoint_count) noexcept {
    return stale_next_++ % endpoint_count;
  }

  // The current time as an HTTP-date, for the Date field (RFC 9110 §6.6.1). Formatted once a
  // second, not per response: refresh_date() runs on every tick.
  [[nodiscard]] std::string_view http_date() const noexcept { return date_text_; }
  void refresh_date();

  std::unique_ptr<Stream> take_stream();
  void give_back(std::unique_ptr<Stream> stream);

  asio::io_context& io;
  const std::size_t index;
  core::BufferPool buffers;
  core::TimeoutList timeouts;  // every client connection's deadline: also the drain list
  upstream::WorkerPools pools;
  AccessLogWriter access_log;
  ConnectionLimiter& limiter;
  upstream::StateBoard& board;
  core::Metrics& metrics;
  // HTTP/2 connections to backends; after buffers and timeouts, which they use until they go.
  H2UpstreamPool h2_upstreams;
  bool draining = false;
  // Client connections open on this worker (read by the drain from another thread).
  std::atomic<std::size_t> open_connections{0};

 private:
  SnapshotPtr snapshot_;
  std::vector<std::unique_ptr<upstream::EndpointPicker>> pickers_;  // one per cluster of snapshot_
  std::size_t stale_next_ = 0;
  std::array<char, http::kHttpDateSize> date_{};
  std::string_view date_text_;
  std::int64_t date_second_ = -1;
  std::vector<std::unique_ptr<Stream>> spare_streams_;
};

}  // namespace bulwark::proxy
