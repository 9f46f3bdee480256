#include "net/accepted_socket.h"

#include <asio/version.hpp>

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

}  // namespace

void mark_freshly_accepted(core::TcpSocket& socket) noexcept {
  ImplementationAccess::state(socket) &= ~asio::detail::socket_ops::possible_dup;
}

}  // namespace bulwark::net
