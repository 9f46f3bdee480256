#include "proxy/l4/tunnel.h"

#include <sys/socket.h>

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

core::Task<void> relay(core::TcpSocket& from, core::TcpSocket& to, Ends& ends,
                       core::BufferPool& buffers, TunnelDeadline& deadline,
                       core::Clock::duration idle, std::uint64_t& moved) {
  for (;;) {
    auto [ec] = co_await from.async_wait(asio::socket_base::wait_read, core::kAsTuple);
    if (ec) break;
    core::Buffer buffer = buffers.take();
    const std::span<char> space = buffer.writable();
    // Everything the socket holds, chunk by chunk, before waiting again (the reactor is
    // edge-triggered).
    for (;;) {
      const ssize_t received = ::recv(from.native_handle(), space.data(), space.size(), 0);
      if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (received < 0 && errno == EINTR) continue;
      if (received < 0) {
        ends.abort();
        co_return;
      }
      if (received == 0) {  // end of stream: the other side learns it, and may still answer
        asio::error_code ignored;
        to.shutdown(asio::socket_base::shutdown_send, ignored);
        co_return;
      }
      deadline.wait_for(idle, false);
      const auto size = static_cast<std::size_t>(received);
      auto [write_error, written] =
          co_await asio::async_write(to, asio::buffer(space.data(), size), core::kAsTuple);
      if (write_error) {
        ends.abort();
        co_return;
      }
      moved += written;
      deadline.wait_for(idle, false);
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
