#include "server/worker.h"

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "core/io.h"
#include "core/log.h"
#include "net/accepted_socket.h"
#include "net/listener.h"
#include "proxy/downstream_connection.h"
#include "proxy/io.h"

namespace bulwark::server {

Worker::Worker(std::size_t index, const proxy::WorkerShared& shared)
    // Each socket and timer of a worker is used only on the worker's thread (other threads reach
    // the worker by post()), so the per-descriptor lock Asio takes around every operation is
    // dropped; the scheduler keeps its lock for those posts.
    : io_(ASIO_CONCURRENCY_HINT_UNSAFE_IO), context_(io_, index, shared), tick_(io_) {}

Worker::~Worker() {
  stop_and_join();
}

bool Worker::listen(const proxy::SnapshotPtr& snapshot, std::string& error) {
  context_.install(snapshot);
  for (const proxy::ListenerRuntime& listener : snapshot->listeners) {
    auto acceptor = std::make_unique<core::TcpAcceptor>(io_);
    if (!net::open_listener(*acceptor, listener.endpoint, error)) {
      error = fmt::format("listener '{}': {}", listener.spec->name, error);
      return false;
    }
    acceptors_.push_back(std::move(acceptor));
  }
  return true;
}

void Worker::start() {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    asio::co_spawn(io_, accept_loop(i), asio::detached);
  }
  asio::co_spawn(io_, tick_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

core::Task<void> Worker::accept_loop(std::size_t listener) {
  core::TcpAcceptor& acceptor = *acceptors_[listener];
  for (;;) {
    // Wait for the listener to become readable, then take every waiting connection: the
    // reactor is edge-triggered, so a wait only ends on connections that arrive after it began.
    auto [ec] = co_await acceptor.async_wait(asio::socket_base::wait_read, proxy::kAsTuple);
    if (ec == asio::error::operation_aborted || context_.draining) co_return;
    for (std::size_t taken = 1;; ++taken) {
      core::TcpSocket socket(io_);
      asio::ip::tcp::endpoint peer;
      asio::error_code error;
      const net::AcceptResult result = net::accept_connection(acceptor, socket, peer, error);
      if (result == net::AcceptResult::kWouldBlock) break;
      if (result == net::AcceptResult::kFailed) {
        // Out of descriptors or memory: back off instead of spinning on the same error.
        BULWARK_LOG_ERROR("accept failed: {}", error.message());
        core::SteadyTimer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(proxy::kAsTuple);
        break;
      }
      proxy::DownstreamConnection::start(std::make_unique<proxy::DownstreamConnection>(
          context_, context_.snapshot(), listener, std::move(socket), peer));
      // A flood of connections must not keep the worker from its established ones.
      if (taken % kAcceptBatch == 0) {
        co_await asio::post(io_, core::kUseTask);
        if (context_.draining) co_return;
      }
    }
  }
}

core::Task<void> Worker::tick_loop() {
  for (;;) {
    tick_.expires_after(kTick);
    auto [ec] = co_await tick_.async_wait(proxy::kAsTuple);
    if (ec) co_return;
    const core::Clock::time_point now = core::Clock::now();
    context_.timeouts.expire(now);
    context_.pools.expire_idle(now);
    context_.access_log.flush_if_due(now);
  }
}

void Worker::install(proxy::SnapshotPtr snapshot) {
  asio::post(io_, [this, snapshot = std::move(snapshot)]() mutable {
    context_.install(std::move(snapshot));
  });
}

void Worker::drain() {
  asio::post(io_, [this] {
    context_.draining = true;
    for (auto& acceptor : acceptors_) {
      asio::error_code ignored;
      acceptor->close(ignored);
    }
    // Idle connections close now; busy ones finish their response first.
    context_.timeouts.for_each([](core::TimeoutEntry& entry) { entry.on_drain(); });
    context_.pools.close_all();
    context_.access_log.flush();
  });
}

void Worker::stop_and_join() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    context_.access_log.flush();
    io_.stop();
  });
  thread_.join();
}

}  // namespace bulwark::server
