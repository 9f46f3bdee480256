#pragma once
// The PROXY protocol on sockets: reading the header a trusted load balancer starts its
// connections with, and sending one to a backend (net/proxy_protocol.h has the format).

#include <asio/ip/tcp.hpp>
#include <expected>
#include <string_view>
#include <system_error>

#include "config/protocols.h"
#include "core/io.h"
#include "net/proxy_protocol.h"

namespace bulwark::proxy {

// Whether a peer must start with a PROXY header (only trusted sources may send one).
[[nodiscard]] bool is_proxy_source(const config::ProxyProtocolAccept& accept,
                                   const asio::ip::address& peer) noexcept;

// Reads a PROXY header off `socket`, taking exactly its bytes (it peeks first), so that what
// follows (a request, a ClientHello) stays in the socket for whoever reads next, TLS included.
// Fails, saying why, when the peer closed, sent something else or the wait was cancelled (the
// caller's deadline cancels the socket). Holds no pooled buffer while it waits.
core::Task<std::expected<net::ProxyHeader, std::string_view>> receive_proxy_header(
    core::TcpSocket& socket);

// Writes a header for a connection from `source` to `destination` on `socket`, before anything
// else (TLS included) is sent on it.
core::Task<std::error_code> send_proxy_header(core::TcpSocket& socket,
                                              config::ProxyProtocolVersion version,
                                              const asio::ip::tcp::endpoint& source,
                                              const asio::ip::tcp::endpoint& destination);

}  // namespace bulwark::proxy
