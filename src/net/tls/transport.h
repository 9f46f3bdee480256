#pragma once
// A connected TCP socket that may speak TLS: what client connections and upstream connections
// read and write through. Plain sockets pay nothing for the option: their reads and writes are
// Asio's own operations, returned as they are (no extra coroutine frame).
//
// TLS runs OpenSSL directly on the non-blocking descriptor (a socket BIO, as nginx and HAProxy
// do), not through memory BIOs: ciphertext is not copied once more, and a record costs one
// read(2) or write(2). OpenSSL says when it needs the socket readable or writable, and only then
// does the coroutine wait for it through Asio's reactor. That order matters: Asio's epoll is
// edge-triggered, so a wait is only ever started after a read saw EAGAIN, never on bytes that
// already arrived.

#include <asio/buffer.hpp>
#include <cstddef>
#include <span>
#include <system_error>
#include <tuple>

#include "core/io.h"
#include "net/tls/ssl_ptr.h"

namespace bulwark::net {

using IoResult = std::tuple<std::error_code, std::size_t>;

class Transport {
 public:
  explicit Transport(core::TcpSocket socket) noexcept : socket_(std::move(socket)) {}
  explicit Transport(const core::Executor& executor) : socket_(executor) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  Transport(Transport&&) noexcept = default;
  Transport& operator=(Transport&&) noexcept = default;
  ~Transport() = default;

  // The TCP socket under it, for connect, options, cancel (deadlines) and shutdown.
  core::TcpSocket& socket() noexcept { return socket_; }
  [[nodiscard]] bool secure() const noexcept { return ssl_ != nullptr; }
  [[nodiscard]] SSL* ssl() const noexcept { return ssl_.get(); }

  // Runs TLS over the (connected) socket from now on; `ssl` is in accept or connect state.
  void start_tls(tls::SslPtr ssl);
  // The TLS handshake; its errors are std::errc::protocol_error (OpenSSL's error queue and
  // SSL_get_verify_result say more), or the socket's.
  core::Task<std::error_code> handshake();

  // Reads what is there (at least one byte, or an error; eof when the peer closed).
  core::Task<IoResult> read_some(asio::mutable_buffer buffer) {
    if (!ssl_) return socket_.async_read_some(buffer, core::kAsTuple);
    return tls_read_some(buffer);
  }
  // Writes all of `pieces` (in as few TLS records as they fit).
  core::Task<IoResult> write(std::span<const asio::const_buffer> pieces);
  core::Task<IoResult> write(asio::const_buffer bytes);

  // Reads what can be read without waiting: asio::error::would_block when nothing can.
  IoResult try_read(asio::mutable_buffer buffer);
  // Decrypted bytes OpenSSL holds that a read returns without touching the socket.
  [[nodiscard]] std::size_t pending() const noexcept;
  // Sends close_notify when TLS is up and the socket takes it at once; never waits.
  void notify_close() noexcept;
  // Gives the descriptor up (with its TLS state, to be re-attached by adopt on another loop);
  // -1 on failure. The transport is empty afterwards.
  int release(tls::SslPtr& ssl);
  // Takes over a descriptor and TLS state another transport released.
  std::error_code adopt(const asio::ip::tcp& protocol, int descriptor, tls::SslPtr ssl);

 private:
  core::Task<IoResult> tls_read_some(asio::mutable_buffer buffer);
  core::Task<IoResult> tls_write(std::span<const asio::const_buffer> pieces);
  // Waits until the socket can do what OpenSSL's last call asked for (`ssl_error` is
  // SSL_ERROR_WANT_READ or _WANT_WRITE); any other value becomes the error to return.
  core::Task<std::error_code> wait_for_socket(int ssl_error);

  core::TcpSocket socket_;
  tls::SslPtr ssl_;
};

}  // namespace bulwark::net
