#include "upstream/endpoint_pool.h"

#include <unistd.h>

#include <algorithm>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "core/io.h"

namespace bulwark::upstream {
namespace {

// Asks `peer` (on its own loop) for one idle descriptor; completes on the caller's executor with
// the descriptor or -1. Message passing, not a lock: the peer's pool is only touched by its thread.
template <class Token, class ReleaseFn>
auto async_ask_peer(asio::io_context& peer_loop, ReleaseFn release, Token&& token) {
  return asio::async_initiate<Token, void(int)>(
      [&peer_loop, release](auto handler) {
        auto home = asio::get_associated_executor(handler);
        asio::post(peer_loop, [release, home, handler = std::move(handler)]() mutable {
          const int descriptor = release();
          asio::post(home, [descriptor, handler = std::move(handler)]() mutable {
            std::move(handler)(descriptor);
          });
        });
      },
      token);
}

}  // namespace

EndpointPool::EndpointPool(asio::io_context& io, std::size_t worker,
                           const asio::ip::tcp::endpoint& endpoint,
                           const config::PoolSettings& settings, EndpointSlots& slots)
    : io_(io), worker_(worker), endpoint_(endpoint), settings_(settings), slots_(slots) {
  slots_.slots[worker_].pool.store(this, std::memory_order_release);
}

EndpointPool::~EndpointPool() {
  slots_.slots[worker_].pool.store(nullptr, std::memory_order_release);
  close_all();
}

void EndpointPool::publish_idle_count() noexcept {
  slots_.slots[worker_].idle_count.store(static_cast<std::uint32_t>(idle_.size()),
                                         std::memory_order_relaxed);
}

ConnectionPtr EndpointPool::take_idle() {
  if (idle_.empty()) return nullptr;
  ConnectionPtr connection = std::move(idle_.back());
  idle_.pop_back();
  publish_idle_count();
  asio::error_code ignored;
  connection->socket.cancel(ignored);  // ends the close watch; no syscall with epoll
  return connection;
}

core::Task<ConnectionPtr> EndpointPool::steal_from_peers() {
  for (std::size_t peer = 0; peer < slots_.slots.size(); ++peer) {
    if (peer == worker_) continue;
    PoolSlot& slot = slots_.slots[peer];
    if (slot.idle_count.load(std::memory_order_relaxed) == 0) continue;
    const int descriptor = co_await async_ask_peer(
        *slot.io,
        [&slot]() {
          EndpointPool* pool = slot.pool.load(std::memory_order_acquire);
          return pool != nullptr ? pool->release_idle_descriptor() : -1;
        },
        core::kUseTask);
    if (descriptor < 0) continue;
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
    asio::error_code ec;
    connection->socket.assign(endpoint_.protocol(), descriptor, ec);
    if (ec) {
      ::close(descriptor);
      continue;
    }
    connection->id = next_id_++;
    connection->requests = 1;  // it has served before: a failure on it may be a stale close
    ++stolen_;
    co_return connection;
  }
  co_return nullptr;
}

ConnectionPtr EndpointPool::make_connection() {
  auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
  connection->id = next_id_++;
  ++opened_;
  return connection;
}

void EndpointPool::put_idle(ConnectionPtr connection) {
  if (settings_.max_idle_per_endpoint == 0) return;
  if (idle_.size() >= settings_.max_idle_per_endpoint) idle_.pop_front();
  connection->idle_since = core::Clock::now();
  connection->watched = false;
  idle_.push_back(std::move(connection));
  publish_idle_count();
}

void EndpointPool::watch(UpstreamConnection& connection) {
  // A one-byte read, not async_wait: Asio re-arms epoll (an epoll_ctl syscall) for every wait,
  // while a read is queued for free when the socket has shown no readiness since its last read.
  // Anything it reads means the connection is unusable anyway (a close, or bytes nobody asked for).
  connection.socket.async_read_some(
      asio::buffer(&connection.watch_byte, 1),
      [this, id = connection.id](const asio::error_code& ec, std::size_t) {
        if (ec == asio::error::operation_aborted) return;
        drop_idle(id);
      });
}

void EndpointPool::drop_idle(std::uint64_t id) {
  const auto it = std::find_if(idle_.begin(), idle_.end(),
                               [id](const ConnectionPtr& c) { return c->id == id; });
  if (it == idle_.end()) return;  // already taken; its new owner finds out on its own
  idle_.erase(it);
  publish_idle_count();
}

int EndpointPool::release_idle_descriptor() {
  while (!idle_.empty()) {
    ConnectionPtr connection = std::move(idle_.back());
    idle_.pop_back();
    asio::error_code ec;
    const int descriptor = connection->socket.release(ec);
    if (!ec) {
      publish_idle_count();
      return descriptor;
    }
  }
  publish_idle_count();
  return -1;
}

void EndpointPool::expire_idle(core::Clock::time_point now) {
  const auto oldest_allowed = now - settings_.idle_timeout;
  bool changed = false;
  while (!idle_.empty() && idle_.front()->idle_since <= oldest_allowed) {
    idle_.pop_front();
    changed = true;
  }
  if (changed) publish_idle_count();
  // Connections that stayed idle since the last tick get watched. Watching costs a syscall, and
  // at steady load a connection is idle for microseconds: watching each one would cost a syscall
  // per request. A close the backend makes before the watch starts is caught by the retry of a
  // request that fails on a reused connection.
  for (ConnectionPtr& connection : idle_) {
    if (!connection->watched) {
      connection->watched = true;
      watch(*connection);
    }
  }
}

void EndpointPool::close_all() noexcept {
  idle_.clear();
  publish_idle_count();
}

}  // namespace bulwark::upstream
