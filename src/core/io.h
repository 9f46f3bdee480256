#pragma once
// The I/O vocabulary of the data path. Everything runs on one io_context per worker, so sockets,
// timers and coroutines name its concrete executor instead of Asio's type-erased default
// (any_io_executor): the type erasure cost a few percent of CPU per proxied request, in every
// operation's handler tracking and every coroutine resumption.

#include <asio/awaitable.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/basic_stream_socket.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/buffer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <span>
#include <string_view>

namespace bulwark::core {

using Executor = asio::io_context::executor_type;
template <class T>
using Task = asio::awaitable<T, Executor>;
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
using TcpAcceptor = asio::basic_socket_acceptor<asio::ip::tcp, Executor>;
using SteadyTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, Executor>;

inline constexpr asio::use_awaitable_t<Executor> kUseTask{};
// Errors come back as values: no exceptions on the data path (DESIGN.md §3a).
inline constexpr auto kAsTuple = asio::experimental::as_tuple(kUseTask);

inline asio::mutable_buffer to_asio(std::span<char> bytes) noexcept {
  return {bytes.data(), bytes.size()};
}

inline std::string_view view(std::span<char> bytes) noexcept {
  return {bytes.data(), bytes.size()};
}

}  // namespace bulwark::core
