#pragma once
// One worker thread: its own io_context (concurrency hint 1), its own SO_REUSEPORT listening
// sockets, its WorkerContext, and a periodic tick for deadlines, idle pools and the access log.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/io.h"
#include "proxy/worker_context.h"

namespace bulwark::server {

class Worker {
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
  // Swaps in a new snapshot (thread-safe: runs on the worker).
  void install(proxy::SnapshotPtr snapshot);
  // Stops accepting, closes idle connections, lets busy ones finish (thread-safe).
  void drain();
  // Ends the loop at once (thread-safe) and waits for the thread.
  void stop_and_join();
  [[nodiscard]] std::size_t open_connections() const noexcept {
    return context_.open_connections.load(std::memory_order_relaxed);
  }

 private:
  core::Task<void> accept_loop(std::size_t listener);
  core::Task<void> tick_loop();

  asio::io_context io_;
  proxy::WorkerContext context_;
  std::vector<std::unique_ptr<core::TcpAcceptor>> acceptors_;
  core::SteadyTimer tick_;
  std::thread thread_;
};

}  // namespace bulwark::server
