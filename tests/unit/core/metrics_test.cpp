// The metrics registry: per-worker counters summed, status classes, histogram buckets, and series
// that only configuration names can add.

#include "core/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace bulwark::core {
namespace {

using std::chrono::milliseconds;

std::uint64_t requests(const Metrics& metrics, std::uint32_t id, std::size_t status_class) {
  std::uint64_t total = 0;
  for (std::size_t w = 0; w < metrics.requests().workers(); ++w)
    total += metrics.requests().at(w, id).by_status_class[status_class].value();
  return total;
}

TEST(MetricsTest, TheSameNamesGetTheSameSeries) {
  Metrics metrics(2);
  const MetricsSeries a = metrics.series("public", "api", "backend");
  const MetricsSeries b = metrics.series("public", "", "");
  EXPECT_NE(a.requests, b.requests);
  EXPECT_EQ(metrics.series("public", "api", "backend").requests, a.requests);
  EXPECT_EQ(metrics.series("other", "web", "backend").cluster, a.cluster);
  EXPECT_EQ(b.cluster, MetricsSeries::kNoCluster);
  // Series 0 (the overflow) is not listed until used.
  EXPECT_EQ(metrics.requests().first_listed(), 1U);
  EXPECT_EQ(metrics.requests().size(), 4U);
}

TEST(MetricsTest, WorkersCountApartAndAreSummed) {
  Metrics metrics(3);
  const MetricsSeries series = metrics.series("public", "api", "backend");
  // Each worker writes from its own thread, as on the data path.
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < 3; ++w) {
    threads.emplace_back([&metrics, &series, w] {
      for (std::size_t i = 0; i <= w; ++i) {
        metrics.record(w, series,
                       {.status = 200,
                        .duration = milliseconds(3),
                        .body_bytes = 10,
                        .upstream_time = milliseconds(2),
                        .retries = 1});
      }
      metrics.record(w, series, {.status = 503, .duration = milliseconds(30)});
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(requests(metrics, series.requests, 1), 6U);  // 2xx: 1 + 2 + 3
  EXPECT_EQ(requests(metrics, series.requests, 4), 3U);  // 5xx
  EXPECT_EQ(requests(metrics, series.requests, 0), 0U);
  EXPECT_EQ(metrics.requests().at(2, series.requests).body_bytes.value(), 30U);

  HistogramTotals duration;
  HistogramTotals upstream;
  std::uint64_t retries = 0;
  for (std::size_t w = 0; w < 3; ++w) {
    duration.add(metrics.requests().at(w, series.requests).duration);
    upstream.add(metrics.clusters().at(w, series.cluster).upstream_time);
    retries += metrics.clusters().at(w, series.cluster).retries.value();
  }
  EXPECT_EQ(duration.count(), 9U);
  EXPECT_EQ(duration.buckets[0], 6U);  // 3 ms <= 5 ms
  EXPECT_EQ(duration.buckets[3], 3U);  // 25 ms < 30 ms <= 50 ms
  EXPECT_EQ(duration.sum_nanos, 6U * 3'000'000 + 3U * 30'000'000);
  EXPECT_EQ(upstream.count(), 6U);  // the 503s had no upstream response time
  EXPECT_EQ(retries, 6U);
}

TEST(MetricsTest, AStatusOutsideTheClassesCountsNowhere) {
  Metrics metrics(1);
  const MetricsSeries series = metrics.series("public", "", "backend");
  metrics.record(0, series, {.status = 0, .duration = milliseconds(1), .retries = 2});
  metrics.record(0, series, {.status = 600, .duration = milliseconds(1)});
  HistogramTotals duration;
  duration.add(metrics.requests().at(0, series.requests).duration);
  EXPECT_EQ(duration.count(), 0U);
  EXPECT_EQ(metrics.clusters().at(0, series.cluster).retries.value(), 0U);
}

TEST(MetricsTest, HistogramBoundsAreInclusive) {
  LatencyHistogram histogram;
  histogram.observe(milliseconds(5));                      // le 0.005
  histogram.observe(std::chrono::nanoseconds(5'000'001));  // le 0.01
  histogram.observe(std::chrono::seconds(11));             // +Inf
  histogram.observe(std::chrono::nanoseconds(-1));         // clocks disagreeing: zero
  EXPECT_EQ(histogram.bucket(0), 2U);
  EXPECT_EQ(histogram.bucket(1), 1U);
  EXPECT_EQ(histogram.bucket(LatencyHistogram::kBuckets - 1), 1U);
}

TEST(MetricsTest, PastTheCapNewLabelSetsShareTheOtherSeries) {
  SeriesTable<Counter, 1> table(1);
  for (std::uint32_t i = 1; i < decltype(table)::kMaxSeries; ++i)
    EXPECT_EQ(table.intern({std::to_string(i)}), i);
  EXPECT_EQ(table.first_listed(), 1U);
  EXPECT_EQ(table.intern({"one too many"}), 0U);
  EXPECT_EQ(table.intern({"and another"}), 0U);
  EXPECT_EQ(table.first_listed(), 0U);  // now listed, as "(other)"
  EXPECT_EQ(table.labels(0)[0], "(other)");
  EXPECT_EQ(table.intern({"7"}), 7U);  // known ones keep theirs
}

}  // namespace
}  // namespace bulwark::core
