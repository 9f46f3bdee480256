#pragma once
// The health checkers of one configuration snapshot: one per cluster that has a health_check,
// all on the loop given (the main thread's, never a worker's). A reload replaces them; the
// verdicts live on in the endpoints' shared states.

#include <asio/io_context.hpp>
#include <memory>
#include <vector>

#include "config/config.h"
#include "upstream/cluster.h"
#include "upstream/health/health_checker.h"

namespace bulwark::upstream::health {

class HealthCheckers {
 public:
  explicit HealthCheckers(asio::io_context& io) : io_(io) {}
  HealthCheckers(const HealthCheckers&) = delete;
  HealthCheckers& operator=(const HealthCheckers&) = delete;
  ~HealthCheckers() { stop(); }

  // Stops the running checkers and starts those of `clusters`, whose specs are `specs` (same
  // order, as in a ProxySnapshot). An endpoint of a cluster without a health check is marked
  // healthy: no checker would ever bring it back otherwise.
  void start(const std::vector<config::Cluster>& specs, const std::vector<Cluster>& clusters);
  void stop();

 private:
  asio::io_context& io_;
  std::vector<std::shared_ptr<HealthChecker>> checkers_;
};

}  // namespace bulwark::upstream::health
