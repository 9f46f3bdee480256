#pragma once
// One worker thread: its own io_context (concurrency hint 1), its own SO_REUSEPORT listening
// sockets, its WorkerContext, and a periodic tick for deadlines, idle pools and the access log.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/io.h"
#include "proxy/worker_context.h"

namespace bulwark::server {

// A listening socket that a reload opened for one worker: bound and listening, on the reloading
// thread's loop, not yet accepting. A reload opens every new socket before it changes anything,
// so that one that fails (port in use) leaves the running configuration as it was.
struct OpenedListener {
  std::string name;
  core::TcpAcceptor socket;
};

class Worker {
  // The worker's io_context, whose pending work can be destroyed on the worker's own thread.
  class Loop : public asio::io_context {
   public:
    using asio::io_context::io_context;
    // Destroys every pending handler, and with them the coroutines of connections still open.
    using asio::execution_context::shutdown;
  };

 public:
  // Deadlines fire at most one tick late, and a keep-alive connection waits in its coroutine for
  // at most one tick before it is parked. Scanning 10,000 connections takes tens of microseconds.
  static constexpr std::chrono::milliseconds kTick{50};
  // Connections accepted in a row before the worker lets its other work run.
  static constexpr std::size_t kAcceptBatch = 64;

  Worker(std::size_t index, const proxy::WorkerShared& shared);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  asio::io_context& loop() noexcept { return io_; }
  // Opens this worker's listening sockets for `snapshot` (on the calling thread, before start).
  bool listen(const proxy::SnapshotPtr& snapshot, std::string& error);
  void start();
  // A reload (thread-safe: the change runs on the worker, all at once): closes the listeners
  // named in `close`, installs `snapshot` for new connections and requests, accepts on `opened`,
  // then calls `applied` on the worker's thread. Established connections are left alone,
  // whichever listener they came from.
  void reconfigure(proxy::SnapshotPtr snapshot, std::vector<std::string> close,
                   std::vector<OpenedListener> opened, std::function<void()> applied);
  // Stops accepting, closes idle connections, lets busy ones finish (thread-safe).
  void drain();
  // Ends the loop at once (thread-safe) and waits for the thread.
  void stop_and_join();
  [[nodiscard]] std::size_t open_connections() const noexcept {
    return context_.open_connections.load(std::memory_order_relaxed);
  }

 private:
  // One listening socket, shared with its accept loop, which outlives its closing by one
  // completion.
  struct Acceptor {
    Acceptor(std::string listener_name, asio::io_context& io, proxy::SnapshotPtr latest,
             std::size_t listener_index)
        : name(std::move(listener_name)),
          socket(io),
          snapshot(std::move(latest)),
          index(listener_index) {}

    std::string name;
    core::TcpAcceptor socket;
    // The newest snapshot that has this listener, and its place there: what a connection
    // accepted here starts with, even one accepted just before its listener was removed.
    proxy::SnapshotPtr snapshot;
    std::size_t index;
  };
  // A socket on its way from the reloading thread to this worker's loop.
  struct HandedOver {
    std::string name;
    int fd;
  };

  core::Task<void> accept_loop(std::shared_ptr<Acceptor> acceptor);
  core::Task<void> tick_loop();
  void serve(const Acceptor& acceptor, core::TcpSocket socket, const asio::ip::tcp::endpoint& peer);
  void close_acceptor(Acceptor& acceptor);
  // False when the worker is draining and nothing changed.
  bool apply(const proxy::SnapshotPtr& snapshot, const std::vector<std::string>& close,
             std::vector<HandedOver> opened);

  Loop io_;
  proxy::WorkerContext context_;
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
  core::SteadyTimer tick_;
  std::thread thread_;
};

}  // namespace bulwark::server
