#pragma once
// A loopback HTTP origin for the health check tests, on the test's own io_context: it answers
// every connection with one scripted response, or holds it without answering.

#include <dirent.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/io.h"

namespace bulwark::upstream::health::test {

class ScriptedOrigin {
 public:
  explicit ScriptedOrigin(asio::io_context& io) : state_(std::make_shared<State>(io)) {
    asio::co_spawn(io, accept_loop(state_), asio::detached);
  }
  ScriptedOrigin(const ScriptedOrigin&) = delete;
  ScriptedOrigin& operator=(const ScriptedOrigin&) = delete;
  ~ScriptedOrigin() { close(); }

  [[nodiscard]] asio::ip::tcp::endpoint endpoint() const { return state_->address; }
  // Each later connection gets `response`, then the connection closes.
  void respond(std::string response) {
    state_->response = std::move(response);
    state_->hang = false;
  }
  // Each later connection is held open without an answer.
  void hang() { state_->hang = true; }
  // Stops listening and closes the connections held.
  void close() {
    asio::error_code ignored;
    state_->acceptor.close(ignored);
    for (core::TcpSocket& socket : state_->held)
      socket.close(ignored);
  }
  // The request heads received, in order.
  [[nodiscard]] const std::vector<std::string>& requests() const { return state_->requests; }
  [[nodiscard]] std::size_t connections() const { return state_->connections; }

 private:
  struct State {
    explicit State(asio::io_context& io)
        : acceptor(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
          address(acceptor.local_endpoint()) {}
    core::TcpAcceptor acceptor;
    asio::ip::tcp::endpoint address;
    std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    bool hang = false;
    std::vector<std::string> requests;
    std::vector<core::TcpSocket> held;
    std::size_t connections = 0;
  };

  static core::Task<void> accept_loop(std::shared_ptr<State> state) {
    for (;;) {
      auto [ec, socket] = co_await state->acceptor.async_accept(core::kAsTuple);
      if (ec) co_return;
      ++state->connections;
      asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket)),
                     asio::detached);
    }
  }

  static core::Task<void> serve(std::shared_ptr<State> state, core::TcpSocket socket) {
    std::string head;
    auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(head), "\r\n\r\n",
                                                   core::kAsTuple);
    if (ec) co_return;
    state->requests.push_back(head.substr(0, n));
    if (state->hang) {
      state->held.push_back(std::move(socket));
      co_return;
    }
    co_await asio::async_write(socket, asio::buffer(state->response), core::kAsTuple);
    asio::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    // Waits for the client to close, so that a response is never cut by a reset.
    char byte = 0;
    co_await socket.async_read_some(asio::buffer(&byte, 1), core::kAsTuple);
  }

  std::shared_ptr<State> state_;
};

// An address nothing listens on: connecting to it is refused.
inline asio::ip::tcp::endpoint refused_address() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint();
}

// Open file descriptors of this process: sockets that a test leaks show up here.
inline std::size_t open_descriptors() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (::readdir(dir) != nullptr)
      ++count;
    ::closedir(dir);
  }
  return count;
}

}  // namespace bulwark::upstream::health::test
