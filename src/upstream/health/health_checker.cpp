#include "upstream/health/health_checker.h"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <optional>

#include "config/units.h"
#include "core/log.h"
#include "upstream/health/http_probe.h"
#include "upstream/health/rise_fall_counter.h"
#include "upstream/health/tcp_probe.h"

namespace bulwark::upstream::health {

struct HealthChecker::Target {
  Target(asio::io_context& io, const ClusterEndpoint& endpoint, const config::HealthCheck& check,
         const std::shared_ptr<const net::tls::ClientContext>& tls)
      : address(endpoint.address),
        label(endpoint.label),
        state(endpoint.state),
        counter(check.rise, check.fall, endpoint.state->healthy()),
        transport(io.get_executor()),
        deadline(io),
        pause(io) {
    if (check.http) {
      http.emplace(*check.http, endpoint.label, tls,
                   tls && !tls->server_name().empty() ? tls->server_name() : endpoint.server_name);
    }
  }

  asio::ip::tcp::endpoint address;
  std::string label;
  std::shared_ptr<EndpointState> state;
  std::optional<HttpProbe> http;  // none: a TCP check
  RiseFallCounter counter;
  net::Transport transport;
  core::SteadyTimer deadline;  // closes the socket when a check takes longer than the timeout
  core::SteadyTimer pause;     // between two checks
  std::uint64_t checks = 0;    // numbers the checks, so a late deadline spares the next one
  bool checking = false;
  bool timed_out = false;
};

HealthChecker::HealthChecker(asio::io_context& io, std::string cluster,
                             const config::HealthCheck& check,
                             const std::vector<ClusterEndpoint>& endpoints,
                             const std::shared_ptr<const net::tls::ClientContext>& tls)
    : io_(io), cluster_(std::move(cluster)), check_(check), random_(std::random_device{}()) {
  targets_.reserve(endpoints.size());
  for (const ClusterEndpoint& endpoint : endpoints)
    targets_.push_back(std::make_unique<Target>(io, endpoint, check_, tls));
}

HealthChecker::~HealthChecker() = default;

void HealthChecker::start() {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    ++running_;
    asio::co_spawn(io_, check_loop(shared_from_this(), i), asio::detached);
  }
}

void HealthChecker::stop() {
  stopped_ = true;
  for (const auto& target : targets_) {
    asio::error_code ignored;
    target->pause.cancel();
    target->deadline.cancel();
    target->transport.socket().close(ignored);
  }
}

core::Task<void> HealthChecker::check_loop(std::shared_ptr<HealthChecker> self, std::size_t index) {
  HealthChecker& checker = *self;
  Target& target = *checker.targets_[index];
  const config::HealthCheck& check = checker.check_;
  if (check.jitter.count() > 0) {
    target.pause.expires_after(
        next_check_delay(config::Duration{0}, check.jitter, checker.random_));
    co_await target.pause.async_wait(core::kAsTuple);
  }
  while (!checker.stopped_) {
    checker.arm_deadline(target);
    // Not one conditional expression with two co_awaits: g++ 12 miscompiles that.
    ProbeResult result;
    if (target.http) {
      result = co_await target.http->run(target.transport, target.address);
    } else {
      result = co_await probe_tcp(target.transport.socket(), target.address);
    }
    target.checking = false;
    target.deadline.cancel();
    asio::error_code ignored;
    target.transport.notify_close();
    target.transport.socket().close(ignored);
    if (checker.stopped_) break;
    if (!result.passed && target.timed_out) {
      result.detail = fmt::format("timed out after {}", config::format_duration(check.timeout));
    }
    checker.record(target, result);
    target.pause.expires_after(next_check_delay(check.interval, check.jitter, checker.random_));
    co_await target.pause.async_wait(core::kAsTuple);
  }
  --checker.running_;
}

void HealthChecker::arm_deadline(Target& target) {
  const std::uint64_t number = ++target.checks;
  target.checking = true;
  target.timed_out = false;
  target.deadline.expires_after(check_.timeout);
  target.deadline.async_wait(
      [self = shared_from_this(), &target, number](const asio::error_code& ec) {
        if (ec || !target.checking || target.checks != number) return;
        target.timed_out = true;
        asio::error_code ignored;
        target.transport.socket().close(ignored);
      });
}

void HealthChecker::record(Target& target, const ProbeResult& result) {
  if (!result.passed) {
    BULWARK_LOG_DEBUG("cluster {}: endpoint {} failed a check: {}", cluster_, target.label,
                      result.detail);
  }
  if (!target.counter.record(result.passed)) return;
  const bool up = target.counter.healthy();
  target.state->set_healthy(up);
  if (up) {
    BULWARK_LOG_INFO("cluster {}: endpoint {} is up ({} passed check{})", cluster_, target.label,
                     check_.rise, check_.rise == 1 ? "" : "s");
  } else {
    BULWARK_LOG_WARN("cluster {}: endpoint {} is down ({} failed check{}: {})", cluster_,
                     target.label, check_.fall, check_.fall == 1 ? "" : "s", result.detail);
  }
}

config::Duration next_check_delay(config::Duration interval, config::Duration jitter,
                                  std::minstd_rand& random) {
  if (jitter.count() <= 0) return interval;
  std::uniform_int_distribution<config::Duration::rep> extra(0, jitter.count());
  return interval + config::Duration{extra(random)};
}

}  // namespace bulwark::upstream::health
