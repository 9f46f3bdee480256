#pragma once
// A real loopback TCP server for the pool tests, driven synchronously from the test thread, and
// helpers that wait on sockets with a bound (so a broken pool fails a test instead of hanging).

#include <poll.h>
#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../run_until.h"
#include "upstream/endpoint_pool.h"

namespace bulwark::upstream::pooltest {

using asio::ip::tcp;
using namespace std::chrono_literals;

class LoopbackServer {
 public:
  LoopbackServer() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}
  [[nodiscard]] tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  // The server side of the next connection (the kernel completed the handshake already).
  tcp::socket accept() { return acceptor_.accept(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

// A connected connection from `pool`, and the server's end of it in `server_side`.
inline ConnectionPtr connect(EndpointPool& pool, LoopbackServer& server,
                             std::optional<tcp::socket>& server_side) {
  ConnectionPtr connection = pool.make_connection();
  connection->transport.socket().connect(server.endpoint());
  server_side.emplace(server.accept());
  return connection;
}

// What one recv() returns once `fd` is readable: the bytes, or "" for end of stream or reset.
// nullopt when nothing arrived within `timeout`.
inline std::optional<std::string> read_within(int fd, std::chrono::milliseconds timeout = 2s) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char bytes[512];
  const ssize_t n = ::recv(fd, bytes, sizeof bytes, MSG_DONTWAIT);
  if (n <= 0) return std::string();
  return std::string(bytes, static_cast<std::size_t>(n));
}

inline bool sees_close(tcp::socket& socket, std::chrono::milliseconds timeout = 2s) {
  const auto result = read_within(socket.native_handle(), timeout);
  return result.has_value() && result->empty();
}

inline bool stays_open(tcp::socket& socket, std::chrono::milliseconds wait = 20ms) {
  return !read_within(socket.native_handle(), wait).has_value();
}

inline void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

using testing::run_until;

}  // namespace bulwark::upstream::pooltest
