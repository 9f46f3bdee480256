#include "server/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <cassert>

#include "core/io.h"
#include "core/log.h"
#include "net/accepted_socket.h"
#include "net/listener.h"
#include "proxy/downstream_connection.h"
#include "proxy/io.h"
#include "proxy/l4/tcp_proxy_connection.h"

namespace bulwark::server {
namespace {

// Connections taken from a closing listener's accept queue; the kernel caps the queue near this
// (net.core.somaxconn), and the cap stops a flood from holding the worker here.
constexpr int kMaxQueuedOnClose = 4096;

std::size_t index_of(const proxy::ProxySnapshot& snapshot, const std::string& name) {
  const proxy::ListenerRuntime* listener = snapshot.find_listener(name);
  assert(listener != nullptr);
  return static_cast<std::size_t>(listener - snapshot.listeners.data());
}

}  // namespace

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
  for (std::size_t i = 0; i < snapshot->listeners.size(); ++i) {
    const proxy::ListenerRuntime& listener = snapshot->listeners[i];
    auto acceptor = std::make_shared<Acceptor>(listener.spec->name, io_, snapshot, i);
    if (!net::open_listener(acceptor->socket, listener.endpoint, error)) {
      error = fmt::format("listener '{}': {}", listener.spec->name, error);
      return false;
    }
    acceptors_.push_back(std::move(acceptor));
  }
  return true;
}

void Worker::start() {
  for (const std::shared_ptr<Acceptor>& acceptor : acceptors_)
    asio::co_spawn(io_, accept_loop(acceptor), asio::detached);
  asio::co_spawn(io_, tick_loop(), asio::detached);
  thread_ = std::thread([this] {
    io_.run();
    // Connections still open when the loop stops (the drain deadline passed) end here, on this
    // thread: their memory is in this thread's slabs, which go when the thread does, and their
    // destructors still reach the worker's state, which outlives this.
    io_.shutdown();
  });
}

core::Task<void> Worker::accept_loop(std::shared_ptr<Acceptor> acceptor) {
  for (;;) {
    // Wait for the listener to become readable, then take every waiting connection: the
    // reactor is edge-triggered, so a wait only ends on connections that arrive after it began.
    auto [ec] = co_await acceptor->socket.async_wait(asio::socket_base::wait_read, proxy::kAsTuple);
    // A reload may have closed the listener while the wait was completing.
    if (ec == asio::error::operation_aborted || context_.draining || !acceptor->socket.is_open()) {
      co_return;
    }
    for (std::size_t taken = 1;; ++taken) {
      core::TcpSocket socket(io_);
      asio::ip::tcp::endpoint peer;
      asio::error_code error;
      const net::AcceptResult result =
          net::accept_connection(acceptor->socket, socket, peer, error);
      if (result == net::AcceptResult::kWouldBlock) break;
      if (result == net::AcceptResult::kFailed) {
        // Out of descriptors or memory: back off instead of spinning on the same error.
        BULWARK_LOG_ERROR("accept failed on listener '{}': {}", acceptor->name, error.message());
        core::SteadyTimer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(proxy::kAsTuple);
        break;
      }
      serve(*acceptor, std::move(socket), peer);
      // A flood of connections must not keep the worker from its established ones.
      if (taken % kAcceptBatch == 0) {
        co_await asio::post(io_, core::kUseTask);
        if (context_.draining || !acceptor->socket.is_open()) co_return;
      }
    }
  }
}

void Worker::serve(const Acceptor& acceptor, core::TcpSocket socket,
                   const asio::ip::tcp::endpoint& peer) {
  if (acceptor.snapshot->listeners[acceptor.index].spec->protocol !=
      config::ListenerProtocol::kHttp) {
    proxy::TcpProxyConnection::start(std::make_unique<proxy::TcpProxyConnection>(
        context_, acceptor.snapshot, acceptor.index, std::move(socket), peer));
    return;
  }
  proxy::DownstreamConnection::start(std::make_unique<proxy::DownstreamConnection>(
      context_, acceptor.snapshot, acceptor.index, std::move(socket), peer));
}

// Closing a listening socket resets the connections still in its accept queue, which their
// clients already count as established: they are accepted and served first.
void Worker::close_acceptor(Acceptor& acceptor) {
  for (int i = 0; i < kMaxQueuedOnClose; ++i) {
    core::TcpSocket socket(io_);
    asio::ip::tcp::endpoint peer;
    asio::error_code error;
    if (net::accept_connection(acceptor.socket, socket, peer, error) !=
        net::AcceptResult::kAccepted) {
      break;
    }
    serve(acceptor, std::move(socket), peer);
  }
  asio::error_code ignored;
  acceptor.socket.close(ignored);
}

core::Task<void> Worker::tick_loop() {
  for (;;) {
    tick_.expires_after(kTick);
    auto [ec] = co_await tick_.async_wait(proxy::kAsTuple);
    if (ec) co_return;
    const core::Clock::time_point now = core::Clock::now();
    context_.refresh_date();
    context_.timeouts.expire(now);
    context_.pools.expire_idle(now);
    context_.access_log.flush_if_due(now);
  }
}

void Worker::reconfigure(proxy::SnapshotPtr snapshot, std::vector<std::string> close,
                         std::vector<OpenedListener> opened, std::function<void()> applied) {
  // An Asio socket stays with the loop it was opened on; the descriptor moves instead.
  std::vector<HandedOver> handed;
  for (OpenedListener& listener : opened) {
    asio::error_code ec;
    const int fd = listener.socket.release(ec);
    if (ec) {
      BULWARK_LOG_ERROR("listener '{}': cannot hand the socket to worker {}: {}", listener.name,
                        context_.index, ec.message());
      continue;
    }
    handed.push_back(HandedOver{std::move(listener.name), fd});
  }
  asio::post(io_, [this, snapshot = std::move(snapshot), close = std::move(close),
                   handed = std::move(handed), applied = std::move(applied)]() mutable {
    if (apply(snapshot, close, std::move(handed))) applied();
  });
}

bool Worker::apply(const proxy::SnapshotPtr& snapshot, const std::vector<std::string>& close,
                   std::vector<HandedOver> opened) {
  if (context_.draining) {  // shutting down: nothing opens any more
    for (const HandedOver& socket : opened)
      ::close(socket.fd);
    return false;
  }
  // Closed before the new ones open: a listener on a new address goes by the same name.
  std::erase_if(acceptors_, [&](const std::shared_ptr<Acceptor>& acceptor) {
    if (std::ranges::find(close, acceptor->name) == close.end()) return false;
    close_acceptor(*acceptor);
    return true;
  });
  context_.install(snapshot);
  for (const std::shared_ptr<Acceptor>& acceptor : acceptors_) {
    acceptor->snapshot = snapshot;
    acceptor->index = index_of(*snapshot, acceptor->name);
  }
  for (HandedOver& socket : opened) {
    const std::size_t index = index_of(*snapshot, socket.name);
    auto acceptor = std::make_shared<Acceptor>(socket.name, io_, snapshot, index);
    asio::error_code ec;
    acceptor->socket.assign(snapshot->listeners[index].endpoint.protocol(), socket.fd, ec);
    if (ec) {
      ::close(socket.fd);
      BULWARK_LOG_ERROR("listener '{}': worker {} cannot accept: {}", socket.name, context_.index,
                        ec.message());
      continue;
    }
    acceptors_.push_back(acceptor);
    asio::co_spawn(io_, accept_loop(std::move(acceptor)), asio::detached);
  }
  return true;
}

void Worker::drain() {
  asio::post(io_, [this] {
    context_.draining = true;
    for (const std::shared_ptr<Acceptor>& acceptor : acceptors_) {
      asio::error_code ignored;
      acceptor->socket.close(ignored);
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
