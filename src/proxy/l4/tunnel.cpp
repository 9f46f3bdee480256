#include "proxy/l4/tunnel.h"

#include <sys/socket.h>

#include <array>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/write.hpp>
#include <cerrno>

namespace bulwark::proxy {
namespace {

struct Ends {
  core::TcpSocket& client;
  core::TcpSocket& upstream;

  // Either side failed: the other direction stops too.
  void abort() noexcept {
    asio::error_code ignored;
    client.shutdown(asio::socket_base::shutdown_both, ignored);
    upstream.shutdown(asio::socket_base::shutdown_both, ignored);
    client.cancel(ignored);
    upstream.cancel(ignored);
  }
};

// Bytes a quiet direction waits with: most messages of request/response protocols fit, so they
// go through without a pooled buffer.
constexpr std::size_t kSmallRead = 512;

// Writes what was read; false when the other side failed (both ways are then closed).
core::Task<bool> forward(core::TcpSocket& to, const char* data, std::size_t size, Ends& ends,
                         TunnelDeadline& deadline, core::Clock::duration idle,
                         std::uint64_t& moved) {
  deadline.wait_for(idle, false);
  auto [ec, written] = co_await asio::async_write(to, asio::buffer(data, size), core::kAsTuple);
  if (ec) {
    ends.abort();
    co_return false;
  }
  moved += written;
  deadline.wait_for(idle, false);
  co_return true;
}

core::Task<void> relay(core::TcpSocket& from, core::TcpSocket& to, Ends& ends,
                       core::BufferPool& buffers, TunnelDeadline& deadline,
                       core::Clock::duration idle, std::uint64_t& moved) {
  std::array<char, kSmallRead> small{};
  for (;;) {
    // A read that finds nothing waits on the reactor as it is (no epoll_ctl, as a wait for
    // readability would cost), holding no pooled buffer.
    auto [ec, received] = co_await from.async_read_some(asio::buffer(small), core::kAsTuple);
    if (ec == asio::error::eof) {  // the other side learns it, and may still answer
      asio::error_code ignored;
      to.shutdown(asio::socket_base::shutdown_send, ignored);
      co_return;
    }
    if (ec) break;
    if (!co_await forward(to, small.data(), received, ends, deadline, idle, moved)) co_return;
    if (received < small.size()) continue;  // a short read emptied the socket
    // More is waiting: through a pooled buffer until the socket is empty.
    core::Buffer buffer = buffers.take();
    const std::span<char> space = buffer.writable();
    for (;;) {
      const ssize_t got = ::recv(from.native_handle(), space.data(), space.size(), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (got == 0) {
        asio::error_code ignored;
        to.shutdown(asio::socket_base::shutdown_send, ignored);
        co_return;
      }
      if (got < 0) {
        ends.abort();
        co_return;
      }
      const auto size = static_cast<std::size_t>(got);
      if (!co_await forward(to, space.data(), size, ends, deadline, idle, moved)) co_return;
      if (size < space.size()) break;
    }
  }
  ends.abort();
}

}  // namespace

core::Task<TunnelBytes> tunnel(core::TcpSocket& client, core::TcpSocket& upstream,
                               core::BufferPool& buffers, TunnelDeadline& deadline,
                               core::Clock::duration idle) {
  using asio::experimental::awaitable_operators::operator&&;
  Ends ends{client, upstream};
  TunnelBytes bytes;
  deadline.wait_for(idle, false);
  co_await (relay(client, upstream, ends, buffers, deadline, idle, bytes.from_client) &&
            relay(upstream, client, ends, buffers, deadline, idle, bytes.from_upstream));
  deadline.disarm();
  co_return bytes;
}

}  // namespace bulwark::proxy
