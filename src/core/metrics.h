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

// Where a stream's numbers go; resolved per route (and per listener, for requests no route
// took) when a configuration snapshot is built, so the hot path indexes and never looks up.
struct MetricsSeries {
  static constexpr std::uint32_t kNoCluster = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t requests = 0;
  std::uint32_t cluster = kNoCluster;  // the route proxies to no cluster
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
  using RequestTable = SeriesTable<RequestCounters, 3>;  // listener, route, cluster
  using ClusterTable = SeriesTable<ClusterCounters, 1>;  // cluster

  explicit Metrics(std::size_t workers) : requests_(workers), clusters_(workers) {}
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Main thread only. An unnamed route is "", and so is the cluster of a route that does not
  // proxy (it then has no cluster series).
  MetricsSeries series(std::string_view listener, std::string_view route, std::string_view cluster);

  // On worker `worker`'s thread, once per finished request. A status outside 100..599 (the
  // client left before any response) is not a request answered, and counts nowhere.
  void record(std::size_t worker, const MetricsSeries& series,
              const FinishedRequest& request) noexcept;

  [[nodiscard]] const RequestTable& requests() const noexcept { return requests_; }
  [[nodiscard]] const ClusterTable& clusters() const noexcept { return clusters_; }

  // Configuration reloads, counted on the main thread.
  Counter reloads_ok;
  Counter reloads_failed;

 private:
  RequestTable requests_;
  ClusterTable clusters_;
};

}  // namespace bulwark::core
