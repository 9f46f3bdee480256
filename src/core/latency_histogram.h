#pragma once
// A histogram of durations with fixed bucket bounds (Prometheus' default ones, in seconds), one
// writer and any number of readers, as Counter. Buckets count what falls in each interval; the
// exposition makes them cumulative.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

#include "core/counter.h"

namespace bulwark::core {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds: 5 ms to 10 s. The last bucket (+Inf) has no bound.
  static constexpr std::array<std::uint64_t, 11> kBoundsMicros{
      5'000,   10'000,    25'000,    50'000,    100'000,   250'000,
      500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  static constexpr std::size_t kBuckets = kBoundsMicros.size() + 1;

  // Only the owning thread calls this. A negative duration (clocks disagreeing) counts as zero.
  void observe(std::chrono::nanoseconds duration) noexcept {
    const auto nanos = static_cast<std::uint64_t>(std::max(duration.count(), std::int64_t{0}));
    std::size_t bucket = 0;
    // Eleven compares at most; most requests stop at the first few.
    while (bucket < kBoundsMicros.size() && nanos > kBoundsMicros[bucket] * 1000)
      ++bucket;
    buckets_[bucket].add();
    sum_nanos_.add(nanos);
  }

  [[nodiscard]] std::uint64_t bucket(std::size_t index) const noexcept {
    return buckets_[index].value();
  }
  [[nodiscard]] std::uint64_t sum_nanos() const noexcept { return sum_nanos_.value(); }

 private:
  std::array<Counter, kBuckets> buckets_;
  Counter sum_nanos_;
};

// A histogram's values added over workers, for the exposition.
struct HistogramTotals {
  std::array<std::uint64_t, LatencyHistogram::kBuckets> buckets{};
  std::uint64_t sum_nanos = 0;

  void add(const LatencyHistogram& histogram) noexcept {
    for (std::size_t i = 0; i < buckets.size(); ++i)
      buckets[i] += histogram.bucket(i);
    sum_nanos += histogram.sum_nanos();
  }
  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t total = 0;
    for (const std::uint64_t n : buckets)
      total += n;
    return total;
  }
};

}  // namespace bulwark::core
