#include "net/accepted_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/version.hpp>
#include <cerrno>

namespace bulwark::net {
namespace {

// basic_socket keeps its implementation protected; a member pointer taken through a derived
// class reaches it without copying Asio's layout. Checked against the Asio of Debian 12.
static_assert(ASIO_VERSION == 102201, "re-check net/accepted_socket.cpp against this Asio");

struct ImplementationAccess : core::TcpSocket {
  static auto& state(core::TcpSocket& socket) noexcept {
    return (socket.*(&ImplementationAccess::impl_)).get_implementation().state_;
  }
};

// The socket is non-blocking already (SOCK_NONBLOCK) and has no duplicates.
void describe_fresh_socket(core::TcpSocket& socket) noexcept {
  auto& state = ImplementationAccess::state(socket);
  state &= ~asio::detail::socket_ops::possible_dup;
  state |= asio::detail::socket_ops::internal_non_blocking;
}

}  // namespace

AcceptResult accept_connection(core::TcpAcceptor& acceptor, core::TcpSocket& socket,
                               asio::ip::tcp::endpoint& peer, asio::error_code& error) {
  for (;;) {
    socklen_t length = static_cast<socklen_t>(peer.capacity());
    const int fd =
        ::accept4(acceptor.native_handle(), peer.data(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // A connection reset before it was accepted is gone; the next one may be fine.
      if (errno == ECONNABORTED || errno == EINTR || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return AcceptResult::kWouldBlock;
      error.assign(errno, asio::system_category());
      return AcceptResult::kFailed;
    }
    peer.resize(length);
    socket.assign(peer.protocol(), fd, error);
    if (error) {
      ::close(fd);
      return AcceptResult::kFailed;
    }
    describe_fresh_socket(socket);
    return AcceptResult::kAccepted;
  }
}

}  // namespace bulwark::net
