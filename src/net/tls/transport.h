#pragma once
// A connected TCP socket that may speak TLS: what client connections and upstream connections
// read and write through. Plain sockets pay nothing for the option: their reads and writes are
// Asio's own operations, returned as they are (no extra coroutine frame).
//
// TLS reads go through Asio too. OpenSSL sits on a BIO of bulwark's own (tls_bio.h) that
// decrypts from a buffer of ciphertext the transport fills with Asio's speculative reads: a read
// that finds nothing queues on the reactor without a syscall, where waiting for readability
// (async_wait) would re-arm epoll with epoll_ctl every time, and a socket BIO would read each
// record with two recv calls. Writes go straight to the socket from OpenSSL. The one exception
// is kernel TLS, which needs OpenSSL's own socket BIO: such a transport waits for readiness
// instead, and only after a read saw EAGAIN (Asio's epoll is edge-triggered).

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
  // TLS through OpenSSL's socket BIO (start_tls's kernel_offload): OpenSSL reads the socket
  // itself, so nobody else may read it.
  [[nodiscard]] bool kernel_offload() const noexcept;

  // Runs TLS over the (connected) socket from now on; `ssl` is in accept or connect state.
  // `kernel_offload`: OpenSSL gets the descriptor itself (a socket BIO), so that it can hand
  // record encryption to the kernel where the kernel offers it.
  void start_tls(tls::SslPtr ssl, bool kernel_offload = false);
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
  // Ciphertext the socket delivered to someone else's read (a parked connection's small read),
  // for TLS to decrypt next.
  void feed(std::span<const char> ciphertext);
  // Whether a read would return bytes without touching the socket: decrypted data OpenSSL holds,
  // or ciphertext received and not yet decrypted. A connection with some must not wait on the
  // socket for them.
  [[nodiscard]] bool has_buffered_input() const noexcept;
  // Frees the ciphertext buffer while the connection is idle (it is empty then).
  void release_buffers() noexcept;
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
  // Gets the socket ready for what OpenSSL's last call asked (`ssl_error` is SSL_ERROR_WANT_READ
  // or _WANT_WRITE): more ciphertext read into the BIO, or the socket writable. Any other value
  // becomes the error to return.
  core::Task<std::error_code> serve_want(int ssl_error);

  core::TcpSocket socket_;
  tls::SslPtr ssl_;
};

}  // namespace bulwark::net
