#pragma once
// The process's metrics (DESIGN.md §2: per-worker counters without locks, summed when scraped).
// Each worker writes only its own counters (core/counter.h); the admin listener reads and adds
// them up on the main thread.
//
// Families are fields: to add one, add a Counter (or LatencyHistogram) to RequestCounters (per
// listener, route and cluster) or ClusterCounters (per cluster), count it where the event is
// seen, and give it a row in admin/metrics_exposition.cpp's tables (name, help, field).
//
// Labels are configuration names only (listener, route, cluster): a request's host or path never
// becomes a label, so traffic cannot add series (core/series_table.h).

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/counter.h"
#include "core/latency_histogram.h"
#include "core/series_table.h"

namespace bulwark::core {

// One worker's counters of one (listener, route, cluster). Aligned so that two series never
// share a cache line.
struct alignas(64) RequestCounters {
  std::array<Counter, 5> by_status_class;  // 1xx .. 5xx
  LatencyHistogram duration;               // request head received to response done
  Counter body_bytes;                      // response body bytes sent to the client
};

// One worker's counters of one cluster.
struct alignas(64) ClusterCounters {
  LatencyHistogram upstream_time;  // request sent to response head received, retries included
  Counter retries;
};

// One worker's counters of one listener.
struct alignas(64) ListenerCounters {
  Counter tls_full;     // TLS handshakes completed with a new session
  Counter tls_resumed;  // ... with a resumed one (ticket or session cache)
  Counter tls_failed;   // handshakes that failed (or the client left during one)
};

enum class TlsHandshake : std::uint8_t { kFull, kResumed, kFailed };

// Where a stream's numbers go; resolved per route (and per listener, for requests no route
// took) when a configuration snapshot is built, so the hot path indexes and never looks up.
struct MetricsSeries {
  static constexpr std::uint32_t kNoCluster = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t requests = 0;
  std::uint32_t cluster = kNoCluster;  // the route proxies to no cluster
  std::uint32_t listener = 0;
};

// What a finished request adds.
struct FinishedRequest {
  std::uint16_t status = 0;
  std::chrono::nanoseconds duration{};
  std::uint64_t body_bytes = 0;
  std::chrono::nanoseconds upstream_time{};  // zero: no upstream response head
  std::uint32_t retries = 0;
};

class Metrics {
 public:
  using RequestTable = SeriesTable<RequestCounters, 3>;    // listener, route, cluster
  using ClusterTable = SeriesTable<ClusterCounters, 1>;    // cluster
  using ListenerTable = SeriesTable<ListenerCounters, 1>;  // listener

  explicit Metrics(std::size_t workers)
      : requests_(workers), clusters_(workers), listeners_(workers) {}
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Main thread only. An unnamed route is "", and so is the cluster of a route that does not
  // proxy (it then has no cluster series).
  MetricsSeries series(std::string_view listener, std::string_view route, std::string_view cluster);

  // On worker `worker`'s thread, once per finished request. A status outside 100..599 (the
  // client left before any response) is not a request answered, and counts nowhere.
  void record(std::size_t worker, const MetricsSeries& series,
              const FinishedRequest& request) noexcept;
  // On worker `worker`'s thread, once per TLS handshake on a listener of `series`.
  void record(std::size_t worker, const MetricsSeries& series, TlsHandshake handshake) noexcept;

  [[nodiscard]] const RequestTable& requests() const noexcept { return requests_; }
  [[nodiscard]] const ClusterTable& clusters() const noexcept { return clusters_; }
  [[nodiscard]] const ListenerTable& listeners() const noexcept { return listeners_; }

  // Configuration reloads, counted on the main thread.
  Counter reloads_ok;
  Counter reloads_failed;

 private:
  RequestTable requests_;
  ClusterTable clusters_;
  ListenerTable listeners_;
};

}  // namespace bulwark::core
