#include "net/listener.h"

#include <sys/socket.h>

#include <asio/ip/tcp.hpp>

#include "core/io.h"

namespace bulwark::net {

bool resolve(const HostPort& address, asio::ip::tcp::endpoint& out, std::string& error) {
  asio::error_code ec;
  const auto literal = asio::ip::make_address(address.host, ec);
  if (!ec) {
    out = {literal, address.port};
    return true;
  }
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || results.empty()) {
    error = "cannot resolve '" + address.host + "': " + (ec ? ec.message() : "no address");
    return false;
  }
  out = results.begin()->endpoint();
  return true;
}

bool open_listener(core::TcpAcceptor& acceptor, const asio::ip::tcp::endpoint& endpoint,
                   std::string& error) {
  using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  asio::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  // Connections are taken with accept4 until EAGAIN (net/accepted_socket.h).
  if (!ec) acceptor.non_blocking(true, ec);
  if (ec) {
    error = "cannot listen on " + endpoint.address().to_string() + ":" +
            std::to_string(endpoint.port()) + ": " + ec.message();
    asio::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

}  // namespace bulwark::net
