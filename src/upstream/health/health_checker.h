#pragma once
// One cluster's active health checks (issue 4): a check loop per endpoint, run on the main
// thread's loop and never on a worker, so an endpoint is checked once whatever the number of
// workers. Each loop checks, waits the interval plus a random jitter, and checks again; a run of
// results past the rise or fall threshold flips the endpoint's shared EndpointState, which the
// workers' balancers read (DESIGN.md §2: shared state is published, not locked).

#include <asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/io.h"
#include "upstream/cluster.h"
#include "upstream/health/probe_result.h"

namespace bulwark::upstream::health {

class HealthChecker : public std::enable_shared_from_this<HealthChecker> {
 public:
  // Copies what it needs from `endpoints` (and `tls`, the cluster's TLS to its endpoints, for
  // HTTP checks), so it does not hold on to a snapshot. The rise/fall
  // count of each endpoint starts from its current state: one that a previous checker took down
  // stays down until `rise` passes.
  HealthChecker(asio::io_context& io, std::string cluster, const config::HealthCheck& check,
                const std::vector<ClusterEndpoint>& endpoints,
                const std::shared_ptr<const net::tls::ClientContext>& tls = nullptr);
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;
  ~HealthChecker();

  // Starts the loops; the first check of each endpoint comes after a random 0..jitter.
  void start();
  // Stops the loops: the one in progress is abandoned without a verdict, and its socket closed.
  // The loops end as soon as the io_context runs them.
  void stop();
  // Loops that have not ended yet.
  [[nodiscard]] std::size_t running() const noexcept { return running_; }

 private:
  struct Target;

  static core::Task<void> check_loop(std::shared_ptr<HealthChecker> self, std::size_t index);
  void arm_deadline(Target& target);
  void record(Target& target, const ProbeResult& result);

  asio::io_context& io_;
  const std::string cluster_;
  const config::HealthCheck check_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::minstd_rand random_;
  std::size_t running_ = 0;
  bool stopped_ = false;
};

// The wait before the next check: `interval` plus a uniformly random 0..`jitter`.
[[nodiscard]] config::Duration next_check_delay(config::Duration interval, config::Duration jitter,
                                                std::minstd_rand& random);

}  // namespace bulwark::upstream::health
