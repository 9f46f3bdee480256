#include "server/server.h"

#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_listener.h"
#include "admin/control_socket.h"
#include "admin/endpoint_control.h"
#include "admin/metrics_exposition.h"
#include "core/io.h"
#include "core/log.h"
#include "net/listener.h"
#include "net/tls/ktls.h"
#include "proxy/access_log.h"
#include "proxy/connection_limiter.h"
#include "proxy/proxy_snapshot.h"
#include "server/pid_file.h"
#include "server/reload_changes.h"
#include "server/worker.h"
#include "upstream/dns/endpoint_refresher.h"
#include "upstream/health/health_checkers.h"
#include "upstream/pool_directory.h"

namespace bulwark::server {
namespace {

constexpr std::chrono::milliseconds kDrainPoll{50};
constexpr std::chrono::seconds kTlsFileCheck{1};

// A diagnostic on one log line: "file:line:column: message (hint: ...)".
std::string one_line(const config::Diagnostic& diagnostic) {
  config::Diagnostic copy = diagnostic;
  copy.hint.clear();
  std::string text = copy.format();
  if (!diagnostic.hint.empty()) text += fmt::format(" (hint: {})", diagnostic.hint);
  return text;
}

class Server final : public admin::AdminBackend {
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
    if (refresher_.prepare(*config_, error)) {
      snapshot_ = proxy::ProxySnapshot::build(config_, board_, refresher_.answers(), error,
                                              &tls_store_, &caches_, &metrics_);
    }
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
    // Taken before listening: with SO_REUSEPORT a second bulwark on the same addresses would
    // otherwise share them silently with the first.
    if (!config_->pid_file.empty()) {
      auto pid_file = PidFile::acquire(config_->pid_file);
      if (!pid_file) {
        fmt::print(stderr, "bulwark: {}\n", pid_file.error());
        return 1;
      }
      pid_file_ = std::move(*pid_file);
    }
    if (!config_->control_socket.empty()) {
      auto control = open_control_socket(config_->control_socket);
      if (!control) {
        fmt::print(stderr, "bulwark: {}\n", control.error());
        return 1;
      }
      control_ = std::move(*control);
    }
    if (const std::optional<net::HostPort>& listen = config_->admin.listen) {
      // Serves the API with the start's settings: a reload that changes them says so.
      auto listener = admin::AdminListener::open(
          main_loop_, *listen, [this](const admin::AdminRequest& request) {
            return admin::handle_admin_request(request, config_->admin.token, *this);
          });
      if (!listener) {
        fmt::print(stderr, "bulwark: {}\n", listener.error());
        return 1;
      }
      admin_ = std::move(*listener);
    }
    if (!start_workers(error)) {
      fmt::print(stderr, "bulwark: {}\n", error);
      return 1;
    }
    // Written once the listeners are open: a pid in the file means bulwark takes signals.
    if (pid_file_) {
      if (auto written = pid_file_->write_pid(); !written) {
        fmt::print(stderr, "bulwark: {}\n", written.error());
        stop_workers();
        return 1;
      }
    }
    for (const proxy::ListenerRuntime& listener : snapshot_->listeners) {
      BULWARK_LOG_INFO("listener '{}' on {}", listener.spec->name,
                       listener.spec->listen.to_string());
    }
    if (control_) BULWARK_LOG_INFO("control socket on {}", control_->path());
    if (const std::optional<net::HostPort>& listen = config_->admin.listen; admin_ && listen) {
      BULWARK_LOG_INFO("admin listener on {}", listen->to_string());
    }
    log_kernel_tls();
    BULWARK_LOG_INFO("bulwark started with {} worker(s)", workers_.size());
    refresher_.track(*config_);
    health_checks_.start(snapshot_->config->clusters, snapshot_->clusters);
    wait_for_signals();
    watch_tls_files();
    main_loop_.run();
    health_checks_.stop();
    stop_workers();
    BULWARK_LOG_INFO("bulwark stopped");
    spdlog::default_logger()->flush();
    return 0;
  }

  // The admin API's view of the server, on the main loop (admin/admin_api.h).
  std::string metrics() override {
    std::uint64_t open = 0;
    for (auto& worker : workers_)
      open += worker->open_connections();
    const auto endpoints = admin::EndpointControl(snapshot_->clusters).list(std::nullopt);
    return admin::format_metrics(metrics_, {.active_connections = open, .endpoints = *endpoints});
  }
  const config::Config& running_config() override { return *snapshot_->config; }
  std::span<const upstream::Cluster> clusters() override { return snapshot_->clusters; }
  // The path SIGHUP takes; whether it worked is what the reload counters say afterwards.
  bool reload_configuration() override {
    if (draining_) return false;
    const std::uint64_t failed = metrics_.reloads_failed.value();
    reload();
    return metrics_.reloads_failed.value() == failed;
  }

 private:
  bool start_workers(std::string& error) {
    const unsigned count = config_->effective_workers();
    limiter_ = std::make_unique<proxy::ConnectionLimiter>(config_->limits.max_connections_per_ip);
    // The pool directory learns every worker's loop before any pool exists.
    std::vector<asio::io_context*> loops;
    std::vector<std::unique_ptr<Worker>> workers;
    directory_ = std::make_unique<upstream::PoolDirectory>();
    const proxy::WorkerShared shared{
        *directory_, access_log_.get(),           config_->access_log.format,
        *limiter_,   config_->limits.buffer_size, board_,
        metrics_};
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

  void stop_workers() {
    for (auto& worker : workers_)
      worker->stop_and_join();
  }

  void wait_for_signals() {
    signals_.async_wait([this](const asio::error_code& ec, int signal) {
      if (ec) return;
      switch (signal) {
        case SIGINT:
        case SIGQUIT:
          BULWARK_LOG_INFO("signal {}: stopping now", signal);
          main_loop_.stop();
          return;
        case SIGTERM:
          if (!draining_) drain();
          break;
        case SIGHUP:
          if (draining_) {
            BULWARK_LOG_WARN("SIGHUP while draining: not reloading");
          } else {
            reload();
          }
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
    draining_ = true;
    const config::Duration deadline = snapshot_->config->timeouts.drain;
    BULWARK_LOG_INFO("SIGTERM: draining (up to {} ms)", deadline.count());
    for (auto& worker : workers_)
      worker->drain();
    drain_deadline_ = core::Clock::now() + deadline;
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

  // Validate, prepare everything that can fail (names resolved, new sockets open, the pid file
  // moved), and only then hand the new snapshot to the workers: a reload that fails at any step
  // leaves the running configuration exactly as it was.
  void reload() {
    config::LoadResult loaded = reload_();
    if (!loaded.errors.empty()) {
      for (const config::Diagnostic& d : loaded.errors)
        BULWARK_LOG_ERROR("reload: {}", one_line(d));
      reload_failed(fmt::format("{} error(s) in the configuration", loaded.errors.size()));
      return;
    }
    std::string error;
    proxy::SnapshotPtr next;
    if (refresher_.prepare(*loaded.config, error)) {
      next = proxy::ProxySnapshot::build(loaded.config, board_, refresher_.answers(), error,
                                         &tls_store_, &caches_, &metrics_);
    }
    if (!next) {
      reload_failed(error);
      return;
    }
    auto changes = compare(*snapshot_, *next, *config_);
    if (!changes) {
      reload_failed(changes.error());
      return;
    }
    std::vector<std::vector<OpenedListener>> opened(workers_.size());
    if (!open_listeners(*next, *changes, opened, error)) {
      reload_failed(error);
      return;  // the sockets opened so far close with `opened`
    }
    auto pid_file = move_pid_file(next->config->pid_file);
    if (!pid_file) {
      reload_failed(pid_file.error());
      return;
    }
    auto control = move_control_socket(next->config->control_socket);
    if (!control) {
      reload_failed(control.error());
      return;
    }

    for (const std::string& setting : changes->restart_only) {
      BULWARK_LOG_WARN("reload: {} takes effect at restart; the running value stays until then",
                       setting);
    }
    // Said once every worker has the new snapshot: from then on every new connection and every
    // new request, on any worker, gets it.
    auto pending = std::make_shared<std::size_t>(workers_.size());
    auto applied =
        [this, pending,
         line = fmt::format("reload: {} applied; {}", next->config->source, changes->summary)] {
          asio::post(main_loop_, [pending, line] {
            if (--*pending == 0) BULWARK_LOG_INFO("{}", line);
          });
        };
    for (std::size_t i = 0; i < workers_.size(); ++i)
      workers_[i]->reconfigure(next, changes->to_close(), std::move(opened[i]), applied);
    if (pid_file->moves) pid_file_ = std::move(pid_file->file);
    if (control->moves) control_ = std::move(control->socket);
    health_checks_.start(next->config->clusters, next->clusters);
    snapshot_ = std::move(next);
    refresher_.track(*snapshot_->config);
    metrics_.reloads_ok.add();
  }

  // A DNS answer changed the addresses of an endpoint name: the running configuration again,
  // with the new addresses, handed to the workers as a reload would (nothing else changes).
  // A new snapshot of the running configuration, for new DNS answers or TLS files; `what` names
  // what would not be updated when it fails.
  void install_rebuilt_snapshot(std::string_view what) {
    if (draining_) return;
    std::string error;
    proxy::SnapshotPtr next = proxy::ProxySnapshot::build(
        snapshot_->config, board_, refresher_.answers(), error, &tls_store_, &caches_, &metrics_);
    if (!next) {
      BULWARK_LOG_ERROR("{} not updated: {}", what, error);
      return;
    }
    for (auto& worker : workers_)
      worker->reconfigure(next, {}, {}, [] {});
    health_checks_.start(next->config->clusters, next->clusters);
    snapshot_ = std::move(next);
  }

  // Certificates, keys, CA bundles and CRLs are looked at every second; when one changed, the TLS
  // contexts are built again and the workers get a snapshot with them (as after a DNS refresh).
  // Connections keep the context they started with, so none is dropped. A changed OCSP response
  // is swapped into the running context instead.
  void watch_tls_files() {
    tls_watch_timer_.expires_after(kTlsFileCheck);
    tls_watch_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec || draining_) return;
      tls_store_.refresh_ocsp();
      if (tls_store_.files_changed()) {
        BULWARK_LOG_INFO("a TLS file changed: reloading certificates");
        install_rebuilt_snapshot("certificates");
      }
      watch_tls_files();
    });
  }

  static void log_kernel_tls() {
    const net::tls::KernelTls ktls = net::tls::detect_kernel_tls();
    BULWARK_LOG_INFO("kernel TLS: {} ({})", ktls.available ? "in use" : "off", ktls.reason);
  }

  // Opens, for every worker, the sockets of the listeners that a reload adds or moves.
  bool open_listeners(const proxy::ProxySnapshot& next, const ReloadChanges& changes,
                      std::vector<std::vector<OpenedListener>>& opened, std::string& error) {
    for (const std::string& name : changes.to_open()) {
      const proxy::ListenerRuntime& listener = *next.find_listener(name);
      for (std::vector<OpenedListener>& sockets : opened) {
        OpenedListener& socket =
            sockets.emplace_back(OpenedListener{name, core::TcpAcceptor(main_loop_)});
        if (!net::open_listener(socket.socket, listener.endpoint, error)) {
          error = fmt::format("listener '{}': {}", name, error);
          return false;
        }
      }
    }
    return true;
  }

  struct PidFileMove {
    bool moves = false;
    std::optional<PidFile> file;  // the new one, taken and written; none when pid_file is unset
  };

  // Whether a reload's `path` names another pid file than the one held, however it is spelt.
  std::expected<PidFileMove, std::string> move_pid_file(const std::string& path) {
    const bool moves = pid_file_ ? path.empty() || !pid_file_->names(path) : !path.empty();
    if (!moves || path.empty()) return PidFileMove{moves, std::nullopt};
    auto file = PidFile::acquire(path);
    if (!file) return std::unexpected(std::move(file.error()));
    if (auto written = file->write_pid(); !written) return std::unexpected(written.error());
    return PidFileMove{true, std::move(*file)};
  }

  // Commands run on this loop, over the snapshot in use when they arrive.
  std::expected<std::unique_ptr<admin::ControlSocket>, std::string> open_control_socket(
      const std::string& path) {
    return admin::ControlSocket::open(main_loop_, path, [this](std::string_view line) {
      return admin::run_control_command(line, snapshot_->clusters);
    });
  }

  struct ControlSocketMove {
    bool moves = false;
    std::unique_ptr<admin::ControlSocket> socket;  // the new one; none when control_socket is unset
  };

  // As move_pid_file: the new socket is made before the reload commits, the old one closed after.
  std::expected<ControlSocketMove, std::string> move_control_socket(const std::string& path) {
    const bool moves = control_ ? path.empty() || !control_->names(path) : !path.empty();
    if (!moves || path.empty()) return ControlSocketMove{moves, nullptr};
    auto socket = open_control_socket(path);
    if (!socket) return std::unexpected(std::move(socket.error()));
    return ControlSocketMove{true, std::move(*socket)};
  }

  void reload_failed(const std::string& why) {
    metrics_.reloads_failed.add();
    BULWARK_LOG_ERROR("reload failed: {}; the running configuration is unchanged", why);
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

  // The configuration the process started with: workers, buffers, logs and the connection
  // limiter keep its values until a restart.
  config::ConfigPtr config_;
  ReloadFn reload_;
  // Declared before the snapshot, whose endpoints point into it.
  upstream::StateBoard board_;
  // Before the snapshot, whose routes hold series ids of it; sized once, as the workers are.
  core::Metrics metrics_{config_->effective_workers()};
  proxy::TlsStore tls_store_;
  proxy::CacheKeeper caches_;
  proxy::SnapshotPtr snapshot_;
  std::optional<PidFile> pid_file_;
  std::unique_ptr<proxy::AccessLogSink> access_log_;
  std::unique_ptr<proxy::ConnectionLimiter> limiter_;
  std::unique_ptr<upstream::PoolDirectory> directory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  asio::io_context main_loop_{1};
  asio::signal_set signals_{main_loop_, SIGTERM, SIGINT, SIGQUIT};
  core::SteadyTimer drain_timer_{main_loop_};
  core::SteadyTimer tls_watch_timer_{main_loop_};
  upstream::dns::EndpointRefresher refresher_{main_loop_,
                                              [this] { install_rebuilt_snapshot("endpoints"); }};
  // Off the workers, on this loop: one checker per cluster, whatever the number of workers.
  upstream::health::HealthCheckers health_checks_{main_loop_};
  core::Clock::time_point drain_deadline_;
  bool draining_ = false;
  // After the loop it serves on, so that it closes first.
  std::unique_ptr<admin::ControlSocket> control_;
  std::unique_ptr<admin::AdminListener> admin_;
};

}  // namespace

int run(config::ConfigPtr config, ReloadFn reload) {
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  Server server(std::move(config), std::move(reload));
  return server.run();
}

}  // namespace bulwark::server
