#pragma once
// Accepting connections the way the kernel allows best, and telling Asio what it cannot know
// about a socket accept() just returned.
//
// Asio's own async_accept costs two syscalls per connection that bulwark avoids: the new socket
// is made non-blocking with ioctl(FIONBIO) at its first operation (accept4 can return it
// non-blocking), and Asio treats every descriptor it did not open itself as possibly dup()ed,
// removing it from epoll with an explicit epoll_ctl(EPOLL_CTL_DEL) before closing it (a
// descriptor fresh from accept has no duplicates, so close() does that for free).

#include <asio/error_code.hpp>
#include <asio/ip/tcp.hpp>

#include "core/io.h"

namespace bulwark::net {

enum class AcceptResult : std::uint8_t {
  kAccepted,    // `socket` and `peer` are set
  kWouldBlock,  // no connection is waiting: wait for the listener to become readable
  kFailed,      // `error` says why (out of descriptors or memory: back off)
};

// Takes one waiting connection from `acceptor` without blocking, as a non-blocking socket on
// `socket`'s executor, registered with its reactor. Connections that were reset while waiting
// are skipped.
AcceptResult accept_connection(core::TcpAcceptor& acceptor, core::TcpSocket& socket,
                               asio::ip::tcp::endpoint& peer, asio::error_code& error);

}  // namespace bulwark::net
