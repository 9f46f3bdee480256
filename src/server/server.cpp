#include "server/server.h"

#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "core/io.h"
#include "core/log.h"
#include "proxy/access_log.h"
#include "proxy/connection_limiter.h"
#include "proxy/proxy_snapshot.h"
#include "server/worker.h"
#include "upstream/pool_directory.h"

namespace bulwark::server {
namespace {

constexpr std::chrono::milliseconds kDrainPoll{50};

// A reload may change everything but the listening addresses and the buffer size, which the
// workers' sockets and pools were made for.
bool reload_compatible(const proxy::ProxySnapshot& current, const proxy::ProxySnapshot& next,
                       std::string& why) {
  if (current.listeners.size() != next.listeners.size()) {
    why = "the set of listeners changed (restart to change listeners)";
    return false;
  }
  for (std::size_t i = 0; i < current.listeners.size(); ++i) {
    if (current.listeners[i].endpoint != next.listeners[i].endpoint) {
      why = "a listener address changed (restart to change listeners)";
      return false;
    }
  }
  if (current.config->limits.buffer_size != next.config->limits.buffer_size) {
    why = "limits.buffer_size changed (restart to change it)";
    return false;
  }
  return true;
}

class Server {
 public:
  Server(config::ConfigPtr config, ReloadFn reload)
      : config_(std::move(config)), reload_(std::move(reload)) {}

  int run() {
    signals_.add(SIGHUP);
    signals_.add(SIGUSR1);
    std::string error;
    if (!core::configure_error_log(config_->error_log.path, config_->error_log.level, error)) {
      fmt::print(stderr, "bulwark: cannot open error log: {}\n", error);
      return 1;
    }
    snapshot_ = proxy::ProxySnapshot::build(config_, error);
    if (!snapshot_) {
      fmt::print(stderr, "bulwark: {}\n", error);
      return 1;
    }
    if (!config_->access_log.path.empty()) {
      access_log_ = std::make_unique<proxy::AccessLogSink>();
      if (!access_log_->open(config_->access_log.path, error)) {
        fmt::print(stderr, "bulwark: {}\n", error);
        return 1;
      }
    }
    if (!start_workers(error)) {
      fmt::print(stderr, "bulwark: {}\n", error);
      return 1;
    }
    for (const proxy::ListenerRuntime& listener : snapshot_->listeners) {
      BULWARK_LOG_INFO("listener '{}' on {}", listener.spec->name,
                       listener.spec->listen.to_string());
    }
    BULWARK_LOG_INFO("bulwark started with {} worker(s)", workers_.size());
    wait_for_signals();
    main_loop_.run();
    for (auto& worker : workers_)
      worker->stop_and_join();
    BULWARK_LOG_INFO("bulwark stopped");
    spdlog::default_logger()->flush();
    return 0;
  }

 private:
  bool start_workers(std::string& error) {
    const unsigned count = config_->effective_workers();
    limiter_ = std::make_unique<proxy::ConnectionLimiter>(config_->limits.max_connections_per_ip);
    // The pool directory learns every worker's loop before any pool exists.
    std::vector<asio::io_context*> loops;
    std::vector<std::unique_ptr<Worker>> workers;
    directory_ = std::make_unique<upstream::PoolDirectory>();
    const proxy::WorkerShared shared{*directory_, access_log_.get(), config_->access_log.format,
                                     *limiter_, config_->limits.buffer_size};
    for (unsigned i = 0; i < count; ++i) {
      workers.push_back(std::make_unique<Worker>(i, shared));
      loops.push_back(&workers.back()->loop());
    }
    directory_->set_loops(std::move(loops));
    for (auto& worker : workers) {
      if (!worker->listen(snapshot_, error)) return false;
    }
    workers_ = std::move(workers);
    for (auto& worker : workers_)
      worker->start();
    return true;
  }

  void wait_for_signals() {
    signals_.async_wait([this](const asio::error_code& ec, int signal) {
      if (ec) return;
      switch (signal) {
        case SIGTERM:
          drain();
          return;  // no more signals: the drain ends the loop
        case SIGINT:
        case SIGQUIT:
          BULWARK_LOG_INFO("signal {}: stopping now", signal);
          main_loop_.stop();
          return;
        case SIGHUP:
          reload();
          break;
        case SIGUSR1:
          reopen_logs();
          break;
        default:
          break;
      }
      wait_for_signals();
    });
  }

  void drain() {
    BULWARK_LOG_INFO("SIGTERM: draining (up to {} ms)", config_->timeouts.drain.count());
    for (auto& worker : workers_)
      worker->drain();
    drain_deadline_ = core::Clock::now() + snapshot_->config->timeouts.drain;
    // SIGINT or SIGQUIT during a drain still stops at once.
    signals_.async_wait([this](const asio::error_code& ec, int) {
      if (!ec) main_loop_.stop();
    });
    poll_drain();
  }

  void poll_drain() {
    std::size_t open = 0;
    for (auto& worker : workers_)
      open += worker->open_connections();
    if (open == 0 || core::Clock::now() >= drain_deadline_) {
      if (open != 0) BULWARK_LOG_WARN("drain deadline reached with {} connection(s) open", open);
      main_loop_.stop();
      return;
    }
    drain_timer_.expires_after(kDrainPoll);
    drain_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) poll_drain();
    });
  }

  void reload() {
    config::LoadResult loaded = reload_();
    if (!loaded.errors.empty()) {
      for (const config::Diagnostic& d : loaded.errors)
        BULWARK_LOG_ERROR("reload: {}", d.format());
      BULWARK_LOG_ERROR("reload failed: the running configuration is unchanged");
      return;
    }
    std::string error;
    proxy::SnapshotPtr next = proxy::ProxySnapshot::build(loaded.config, error);
    if (!next || !reload_compatible(*snapshot_, *next, error)) {
      BULWARK_LOG_ERROR("reload failed: {}; the running configuration is unchanged", error);
      return;
    }
    snapshot_ = next;
    for (auto& worker : workers_)
      worker->install(next);
    BULWARK_LOG_INFO("configuration reloaded from {}", loaded.config->source);
  }

  void reopen_logs() {
    if (!access_log_) return;
    std::string error;
    if (access_log_->reopen(error)) {
      BULWARK_LOG_INFO("access log reopened");
    } else {
      BULWARK_LOG_ERROR("{}", error);
    }
  }

  config::ConfigPtr config_;
  ReloadFn reload_;
  proxy::SnapshotPtr snapshot_;
  std::unique_ptr<proxy::AccessLogSink> access_log_;
  std::unique_ptr<proxy::ConnectionLimiter> limiter_;
  std::unique_ptr<upstream::PoolDirectory> directory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  asio::io_context main_loop_{1};
  asio::signal_set signals_{main_loop_, SIGTERM, SIGINT, SIGQUIT};
  core::SteadyTimer drain_timer_{main_loop_};
  core::Clock::time_point drain_deadline_;
};

}  // namespace

int run(config::ConfigPtr config, ReloadFn reload) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  Server server(std::move(config), std::move(reload));
  return server.run();
}

}  // namespace bulwark::server
