#include "core/metrics.h"

#include <string>

namespace bulwark::core {

MetricsSeries Metrics::series(std::string_view listener, std::string_view route,
                              std::string_view cluster) {
  MetricsSeries series;
  series.requests =
      requests_.intern({std::string(listener), std::string(route), std::string(cluster)});
  if (!cluster.empty()) series.cluster = clusters_.intern({std::string(cluster)});
  series.listener = listeners_.intern({std::string(listener)});
  return series;
}

void Metrics::record(std::size_t worker, const MetricsSeries& series,
                     TlsHandshake handshake) noexcept {
  ListenerCounters& counters = listeners_.at(worker, series.listener);
  switch (handshake) {
    case TlsHandshake::kFull:
      counters.tls_full.add();
      break;
    case TlsHandshake::kResumed:
      counters.tls_resumed.add();
      break;
    case TlsHandshake::kFailed:
      counters.tls_failed.add();
      break;
  }
}

void Metrics::record(std::size_t worker, const MetricsSeries& series,
                     const FinishedRequest& request) noexcept {
  const unsigned status_class = request.status / 100;
  if (status_class < 1 || status_class > 5) return;
  RequestCounters& counters = requests_.at(worker, series.requests);
  counters.by_status_class[status_class - 1].add();
  counters.duration.observe(request.duration);
  counters.body_bytes.add(request.body_bytes);
  if (series.cluster == MetricsSeries::kNoCluster) return;
  ClusterCounters& cluster = clusters_.at(worker, series.cluster);
  if (request.upstream_time.count() > 0) cluster.upstream_time.observe(request.upstream_time);
  cluster.retries.add(request.retries);
}

}  // namespace bulwark::core
