#include "net/tls/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "net/tls/tls_bio.h"

namespace bulwark::net {
namespace {

// The plaintext of one full TLS record. Small pieces (a response head, a chunk header, a body)
// are gathered up to this size so that they leave as one record and one write(2), as nginx's
// ssl_buffer_size does.
constexpr std::size_t kRecordBytes = std::size_t{16} * 1024;

// What an OpenSSL call that did not succeed means for the caller, when it is not a wait.
std::error_code failure_of(int ssl_error) {
  switch (ssl_error) {
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      return asio::error::eof;
    case SSL_ERROR_SYSCALL:
      // errno 0: the peer closed without close_notify (HTTP framing, not TLS, says whether a
      // message was complete, as in nginx).
      if (errno == 0) return asio::error::eof;
      return {errno, std::system_category()};
    default:
      return std::make_error_code(std::errc::protocol_error);
  }
}

// SSL_get_error reads the thread's error queue, which must be empty before the call it explains.
// Clearing it costs a loop over all its slots; it is nearly always empty already.
void before_ssl_call() noexcept {
  if (ERR_peek_error() != 0) ERR_clear_error();
  errno = 0;
}

}  // namespace

void Transport::start_tls(tls::SslPtr ssl, bool kernel_offload) {
  if (kernel_offload) {
    SSL_set_fd(ssl.get(), socket_.native_handle());
  } else {
    BIO* bio = tls::make_transport_bio(socket_.native_handle());
    SSL_set_bio(ssl.get(), bio, bio);
    // OpenSSL takes all the ciphertext there is in one BIO read, not a record header and then
    // its body: the buffer is ours, so this costs no syscall and no wait.
    SSL_set_read_ahead(ssl.get(), 1);
  }
  // OpenSSL's record buffers are freed while empty, as nginx has it: an idle TLS connection then
  // holds 10 KB instead of 16 KB (2,000 idle connections measured), at no measurable CPU cost.
  SSL_set_mode(ssl.get(), SSL_MODE_RELEASE_BUFFERS);
  ssl_ = std::move(ssl);
}

core::Task<std::error_code> Transport::serve_want(int ssl_error) {
  if (ssl_error == SSL_ERROR_WANT_READ) {
    if (tls::CipherBuffer* input = tls::cipher_buffer(SSL_get_rbio(ssl_.get()))) {
      const std::span<char> room = input->free_space();
      auto [ec, received] =
          co_await socket_.async_read_some(asio::buffer(room.data(), room.size()), core::kAsTuple);
      if (!ec) input->commit(received);
      co_return ec;
    }
    auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, core::kAsTuple);
    co_return ec;
  }
  if (ssl_error == SSL_ERROR_WANT_WRITE) {
    auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_write, core::kAsTuple);
    co_return ec;
  }
  co_return failure_of(ssl_error);
}

core::Task<std::error_code> Transport::handshake() {
  for (;;) {
    before_ssl_call();
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) co_return std::error_code{};
    const std::error_code ec = co_await serve_want(SSL_get_error(ssl_.get(), result));
    if (ec) co_return ec;
  }
}

core::Task<IoResult> Transport::tls_read_some(asio::mutable_buffer buffer) {
  for (;;) {
    before_ssl_call();
    std::size_t received = 0;
    const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &received);
    if (result == 1) co_return IoResult{std::error_code{}, received};
    const std::error_code ec = co_await serve_want(SSL_get_error(ssl_.get(), result));
    if (ec) co_return IoResult{ec, 0};
  }
}

core::Task<IoResult> Transport::write(std::span<const asio::const_buffer> pieces) {
  if (!ssl_) return asio::async_write(socket_, pieces, core::kAsTuple);
  return tls_write(pieces);
}

core::Task<IoResult> Transport::write(asio::const_buffer bytes) {
  if (!ssl_) return asio::async_write(socket_, bytes, core::kAsTuple);
  // A coroutine of its own keeps `bytes` in its frame while tls_write looks at it.
  return [](Transport& self, asio::const_buffer one) -> core::Task<IoResult> {
    co_return co_await self.tls_write(std::span<const asio::const_buffer>(&one, 1));
  }(*this, bytes);
}

core::Task<IoResult> Transport::tls_write(std::span<const asio::const_buffer> pieces) {
  // Shared by the worker's connections: it only holds bytes while no coroutine is suspended on
  // them. When OpenSSL asks to wait, the bytes move to `parked`, which this frame owns (OpenSSL
  // wants the same bytes again on the retry, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them move).
  thread_local std::array<char, kRecordBytes> staging;
  std::string parked;
  std::size_t total = 0;
  std::size_t index = 0;
  std::size_t offset = 0;  // into pieces[index]
  while (index < pieces.size()) {
    const char* data = nullptr;
    std::size_t size = 0;
    const auto* piece = static_cast<const char*>(pieces[index].data());
    const std::size_t left = pieces[index].size() - offset;
    if (left >= kRecordBytes || index + 1 == pieces.size()) {
      data = piece + offset;  // large or last: straight from the caller's bytes
      size = left;
      ++index;
      offset = 0;
    } else {
      while (index < pieces.size() && size < kRecordBytes) {
        const std::size_t take = std::min(pieces[index].size() - offset, kRecordBytes - size);
        std::memcpy(staging.data() + size, static_cast<const char*>(pieces[index].data()) + offset,
                    take);
        size += take;
        offset += take;
        if (offset == pieces[index].size()) {
          ++index;
          offset = 0;
        }
      }
      data = staging.data();
    }
    while (size > 0) {
      before_ssl_call();
      std::size_t written = 0;
      const int result = SSL_write_ex(ssl_.get(), data, size, &written);
      if (result == 1) {
        data += written;
        size -= written;
        total += written;
        continue;
      }
      if (data >= staging.data() && data < staging.data() + staging.size()) {
        parked.assign(data, size);
        data = parked.data();
      }
      const std::error_code ec = co_await serve_want(SSL_get_error(ssl_.get(), result));
      if (ec) co_return IoResult{ec, total};
    }
  }
  co_return IoResult{std::error_code{}, total};
}

IoResult Transport::try_read(asio::mutable_buffer buffer) {
  std::error_code ec;
  if (!ssl_) {
    if (socket_.available(ec) == 0 && !ec) return {asio::error::would_block, 0};
    const std::size_t received = ec ? 0 : socket_.read_some(buffer, ec);
    return {ec, received};
  }
  tls::CipherBuffer* input = tls::cipher_buffer(SSL_get_rbio(ssl_.get()));
  for (bool refilled = false;; refilled = true) {
    before_ssl_call();
    std::size_t received = 0;
    const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &received);
    if (result == 1) return {ec, received};
    const int ssl_error = SSL_get_error(ssl_.get(), result);
    if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) {
      return {failure_of(ssl_error), 0};
    }
    if (ssl_error == SSL_ERROR_WANT_WRITE || input == nullptr || refilled) {
      return {asio::error::would_block, 0};
    }
    // Whatever the socket holds, without waiting (Asio's own synchronous read would wait).
    const std::span<char> room = input->free_space();
    const ssize_t n = ::recv(socket_.native_handle(), room.data(), room.size(), MSG_DONTWAIT);
    if (n == 0) return {asio::error::eof, 0};
    if (n < 0) return {asio::error::would_block, 0};
    input->commit(static_cast<std::size_t>(n));
  }
}

void Transport::feed(std::span<const char> ciphertext) {
  tls::CipherBuffer* input = ssl_ ? tls::cipher_buffer(SSL_get_rbio(ssl_.get())) : nullptr;
  while (input != nullptr && !ciphertext.empty()) {
    const std::span<char> room = input->free_space();
    const std::size_t count = std::min(room.size(), ciphertext.size());
    std::memcpy(room.data(), ciphertext.data(), count);
    input->commit(count);
    ciphertext = ciphertext.subspan(count);
  }
}

bool Transport::kernel_offload() const noexcept {
  return ssl_ && tls::cipher_buffer(SSL_get_rbio(ssl_.get())) == nullptr;
}

bool Transport::has_buffered_input() const noexcept {
  if (!ssl_) return false;
  const tls::CipherBuffer* input = tls::cipher_buffer(SSL_get_rbio(ssl_.get()));
  return SSL_has_pending(ssl_.get()) == 1 || (input != nullptr && !input->empty());
}

void Transport::release_buffers() noexcept {
  if (!ssl_) return;
  if (tls::CipherBuffer* input = tls::cipher_buffer(SSL_get_rbio(ssl_.get()))) input->release();
}

void Transport::notify_close() noexcept {
  // Once: a lingering close sends it before the connection's destructor would again.
  if (!ssl_ || !SSL_is_init_finished(ssl_.get()) ||
      (SSL_get_shutdown(ssl_.get()) & SSL_SENT_SHUTDOWN) != 0) {
    return;
  }
  before_ssl_call();
  SSL_shutdown(ssl_.get());  // what it leaves in the error queue the next call clears
}

int Transport::release(tls::SslPtr& ssl) {
  std::error_code ec;
  const int descriptor = socket_.release(ec);
  if (ec) return -1;
  ssl = std::move(ssl_);
  return descriptor;
}

std::error_code Transport::adopt(const asio::ip::tcp& protocol, int descriptor, tls::SslPtr ssl) {
  std::error_code ec;
  socket_.assign(protocol, descriptor, ec);
  if (!ec) ssl_ = std::move(ssl);
  return ec;
}

}  // namespace bulwark::net
