#include "proxy/l4/proxy_protocol_io.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio/write.hpp>
#include <cerrno>

namespace bulwark::proxy {

bool is_proxy_source(const config::ProxyProtocolAccept& accept,
                     const asio::ip::address& peer) noexcept {
  return std::ranges::any_of(accept.trusted_sources,
                             [&](const net::Cidr& cidr) { return cidr.contains(peer); });
}

core::Task<std::expected<net::ProxyHeader, std::string_view>> receive_proxy_header(
    core::TcpSocket& socket) {
  std::array<char, net::kProxyV2MaxBytes> bytes{};
  std::size_t taken = 0;  // header bytes already taken off the socket
  for (;;) {
    auto [ec] = co_await socket.async_wait(asio::socket_base::wait_read, core::kAsTuple);
    if (ec) co_return std::unexpected("no PROXY header in time");
    const int fd = socket.native_handle();
    const ssize_t peeked = ::recv(fd, bytes.data() + taken, bytes.size() - taken, MSG_PEEK);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (peeked <= 0) co_return std::unexpected("the connection closed before its PROXY header");
    const auto seen = static_cast<std::size_t>(peeked);
    const net::ProxyParse parse = net::parse_proxy_header({bytes.data(), taken + seen});
    if (parse.status == net::ProxyParse::Status::kError) co_return std::unexpected(parse.error);
    // All of an incomplete header is header: taking it off keeps the next wait from waking at
    // once for bytes already seen.
    const std::size_t take =
        parse.status == net::ProxyParse::Status::kDone ? parse.consumed - taken : seen;
    // The peeked bytes are in the socket: only a reset makes this read come up short.
    if (::recv(fd, bytes.data() + taken, take, 0) != static_cast<ssize_t>(take)) {
      co_return std::unexpected("the connection was reset during its PROXY header");
    }
    taken += take;
    if (parse.status == net::ProxyParse::Status::kDone) co_return parse.header;
  }
}

core::Task<std::error_code> send_proxy_header(core::TcpSocket& socket,
                                              config::ProxyProtocolVersion version,
                                              const asio::ip::tcp::endpoint& source,
                                              const asio::ip::tcp::endpoint& destination) {
  net::ProxyHeaderBytes bytes{};
  const std::size_t size = net::write_proxy_header(version == config::ProxyProtocolVersion::kV1
                                                       ? net::ProxyHeaderVersion::kV1
                                                       : net::ProxyHeaderVersion::kV2,
                                                   source, destination, bytes);
  auto [ec, written] =
      co_await asio::async_write(socket, asio::buffer(bytes.data(), size), core::kAsTuple);
  co_return ec;
}

}  // namespace bulwark::proxy
