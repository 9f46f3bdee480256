#include "upstream/health/health_checkers.h"

#include <cassert>

namespace bulwark::upstream::health {

void HealthCheckers::start(const std::vector<config::Cluster>& specs,
                           const std::vector<Cluster>& clusters) {
  assert(specs.size() == clusters.size());
  stop();
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const Cluster& cluster = clusters[i];
    const std::optional<config::HealthCheck>& check = specs[i].health_check;
    if (!check) {
      for (const ClusterEndpoint& endpoint : cluster.endpoints)
        endpoint.state->set_healthy(true);
      continue;
    }
    auto checker =
        std::make_shared<HealthChecker>(io_, cluster.name, *check, cluster.endpoints, cluster.tls);
    checker->start();
    checkers_.push_back(std::move(checker));
  }
}

void HealthCheckers::stop() {
  for (const auto& checker : checkers_)
    checker->stop();
  checkers_.clear();
}

}  // namespace bulwark::upstream::health
