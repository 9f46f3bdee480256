#include "net/tls/transport.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <string>

namespace bulwark::net {
namespace {

// The plaintext of one full TLS record. Small pieces (a response head, a chunk header, a body)
// are gathered up to this size so that they leave as one record and one write(2), as nginx's
// ssl_buffer_size does.
constexpr std::size_t kRecordBytes = 16 * 1024;

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

}  // namespace

void Transport::start_tls(tls::SslPtr ssl) {
  SSL_set_fd(ssl.get(), socket_.native_handle());
  ssl_ = std::move(ssl);
}

core::Task<std::error_code> Transport::wait_for_socket(int ssl_error) {
  if (ssl_error == SSL_ERROR_WANT_READ) {
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
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) co_return std::error_code{};
    const std::error_code ec = co_await wait_for_socket(SSL_get_error(ssl_.get(), result));
    if (ec) co_return ec;
  }
}

core::Task<IoResult> Transport::tls_read_some(asio::mutable_buffer buffer) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    std::size_t received = 0;
    const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &received);
    if (result == 1) co_return IoResult{std::error_code{}, received};
    const std::error_code ec = co_await wait_for_socket(SSL_get_error(ssl_.get(), result));
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
        std::memcpy(staging.data() + size,
                    static_cast<const char*>(pieces[index].data()) + offset, take);
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
      ERR_clear_error();
      errno = 0;
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
      const std::error_code ec = co_await wait_for_socket(SSL_get_error(ssl_.get(), result));
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
  ERR_clear_error();
  errno = 0;
  std::size_t received = 0;
  const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &received);
  if (result == 1) return {ec, received};
  const int ssl_error = SSL_get_error(ssl_.get(), result);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
    return {asio::error::would_block, 0};
  }
  return {failure_of(ssl_error), 0};
}

std::size_t Transport::pending() const noexcept {
  return ssl_ ? static_cast<std::size_t>(SSL_pending(ssl_.get())) : 0;
}

void Transport::notify_close() noexcept {
  if (!ssl_ || !SSL_is_init_finished(ssl_.get())) return;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
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
