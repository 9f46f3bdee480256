#pragma once
// Listening sockets. Every worker opens its own socket on each address with SO_REUSEPORT, so the
// kernel spreads new connections across workers and no accept lock exists.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <string>

#include "core/io.h"
#include "net/address.h"

namespace bulwark::net {

// Resolves `address` (an IP literal or a name) to its first endpoint; false with `error` set on
// failure. Blocking: call it at startup or reload, never on a worker.
bool resolve(const HostPort& address, asio::ip::tcp::endpoint& out, std::string& error);

// Opens, binds (SO_REUSEADDR + SO_REUSEPORT) and listens, non-blocking. False with `error` set on
// failure.
bool open_listener(core::TcpAcceptor& acceptor, const asio::ip::tcp::endpoint& endpoint,
                   std::string& error);

}  // namespace bulwark::net
