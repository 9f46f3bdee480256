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

// Asks `peer` (on its own loop) for one idle connection; completes on the caller's executor with
// its descriptor (-1: none) and TLS state. Message passing, not a lock: the peer's pool is only
// touched by its thread.
template <class Token, class ReleaseFn>
auto async_ask_peer(asio::io_context& peer_loop, ReleaseFn release, Token&& token) {
  return asio::async_initiate<Token, void(ReleasedConnection)>(
      [&peer_loop, release](auto handler) {
        auto home = asio::get_associated_executor(handler);
        asio::post(peer_loop, [release, home, handler = std::move(handler)]() mutable {
          ReleasedConnection released = release();
          asio::post(home,
                     [released = std::move(released), handler = std::move(handler)]() mutable {
                       std::move(handler)(std::move(released));
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
  connection->transport.socket().cancel(ignored);  // ends the close watch; no epoll syscall
  return connection;
}

core::Task<ConnectionPtr> EndpointPool::steal_from_peers() {
  for (std::size_t peer = 0; peer < slots_.slots.size(); ++peer) {
    if (peer == worker_) continue;
    PoolSlot& slot = slots_.slots[peer];
    if (slot.idle_count.load(std::memory_order_relaxed) == 0) continue;
    ReleasedConnection released = co_await async_ask_peer(
        *slot.io,
        [&slot]() {
          EndpointPool* pool = slot.pool.load(std::memory_order_acquire);
          return pool != nullptr ? pool->release_idle() : ReleasedConnection{};
        },
        core::kUseTask);
    if (released.descriptor < 0) continue;
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
    if (connection->transport.adopt(endpoint_.protocol(), released.descriptor,
                                    std::move(released.ssl))) {
      ::close(released.descriptor);
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
  connection->transport.release_buffers();
  if (idle_.size() >= settings_.max_idle_per_endpoint) idle_.pop_front();
  connection->idle_since = core::Clock::now();
  connection->watched = false;
  idle_.push_back(std::move(connection));
  publish_idle_count();
}

bool EndpointPool::watch(UpstreamConnection& connection) {
  // A one-byte read, not async_wait: Asio re-arms epoll (an epoll_ctl syscall) for every wait,
  // while a read is queued for free when the socket has shown no readiness since its last read.
  // Anything it reads means the connection is unusable anyway (a close, or bytes nobody asked for).
  const auto on_activity = [this, id = connection.id](const asio::error_code& ec, std::size_t) {
    if (ec == asio::error::operation_aborted) return;
    drop_idle(id);
  };
  if (connection.transport.secure()) {
    // A read of the socket would take bytes of a TLS record from OpenSSL: wait for readability
    // instead. Bytes already there (a close_notify that came with the response) end it at once.
    asio::error_code ec;
    if (connection.transport.has_buffered_input() ||
        connection.transport.socket().available(ec) > 0 || ec) {
      return false;
    }
    connection.transport.socket().async_wait(
        asio::socket_base::wait_read,
        [on_activity](const asio::error_code& wait_error) { on_activity(wait_error, 0); });
    return true;
  }
  connection.transport.socket().async_read_some(asio::buffer(&connection.watch_byte, 1),
                                                on_activity);
  return true;
}

void EndpointPool::drop_idle(std::uint64_t id) {
  const auto it = std::find_if(idle_.begin(), idle_.end(),
                               [id](const ConnectionPtr& c) { return c->id == id; });
  if (it == idle_.end()) return;  // already taken; its new owner finds out on its own
  idle_.erase(it);
  publish_idle_count();
}

ReleasedConnection EndpointPool::release_idle() {
  while (!idle_.empty()) {
    ConnectionPtr connection = std::move(idle_.back());
    idle_.pop_back();
    ReleasedConnection released;
    released.descriptor = connection->transport.release(released.ssl);
    if (released.descriptor >= 0) {
      publish_idle_count();
      return released;
    }
  }
  publish_idle_count();
  return {};
}

void EndpointPool::expire_idle(core::Clock::time_point now) {
  const auto oldest_allowed = now - settings_.idle_timeout;
  bool changed = false;
  while (!idle_.empty() && idle_.front()->idle_since <= oldest_allowed) {
    idle_.pop_front();
    changed = true;
  }
  // Connections that stayed idle since the last tick get watched. Watching costs a syscall, and
  // at steady load a connection is idle for microseconds: watching each one would cost a syscall
  // per request. A close the backend makes before the watch starts is caught by the retry of a
  // request that fails on a reused connection.
  changed |= std::erase_if(idle_, [this](ConnectionPtr& connection) {
               if (connection->watched) return false;
               connection->watched = true;
               return !watch(*connection);
             }) > 0;
  if (changed) publish_idle_count();
}

void EndpointPool::close_all() noexcept {
  idle_.clear();
  publish_idle_count();
}

}  // namespace bulwark::upstream
