#include "net/tls/secure_send_file.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>

namespace bulwark::net {
namespace {

// Four full TLS records per read of the file: few syscalls, little memory per transfer.
constexpr std::size_t kBatch = std::size_t{64} * 1024;

// Kernel TLS: the prefix goes through OpenSSL, then the kernel encrypts what sendfile moves.
core::Task<SendFileResult> send_with_ktls(Transport& transport,
                                          std::span<const asio::const_buffer> prefix, int fd,
                                          std::uint64_t offset, std::uint64_t length,
                                          const std::function<void()>& before_wait) {
  SendFileResult result;
  if (before_wait) before_wait();
  if (auto [ec, written] = co_await transport.write(prefix); ec) {
    result.error = ec;
    co_return result;
  }
  while (result.sent < length) {
    ERR_clear_error();
    const ossl_ssize_t n =
        SSL_sendfile(transport.ssl(), fd, static_cast<off_t>(offset + result.sent),
                     static_cast<std::size_t>(length - result.sent), 0);
    if (n > 0) {
      result.sent += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0 || SSL_get_error(transport.ssl(), static_cast<int>(n)) != SSL_ERROR_WANT_WRITE) {
      result.error = std::make_error_code(n == 0 ? std::errc::io_error : std::errc::broken_pipe);
      co_return result;
    }
    if (before_wait) before_wait();
    auto [ec] =
        co_await transport.socket().async_wait(asio::socket_base::wait_write, core::kAsTuple);
    if (ec) {
      result.error = ec;
      co_return result;
    }
  }
  co_return result;
}

}  // namespace

core::Task<SendFileResult> send_file_secure(Transport& transport,
                                            std::span<const asio::const_buffer> prefix, int fd,
                                            std::uint64_t offset, std::uint64_t length,
                                            std::function<void()> before_wait) {
  if (BIO_get_ktls_send(SSL_get_wbio(transport.ssl())) != 0) {
    co_return co_await send_with_ktls(transport, prefix, fd, offset, length, before_wait);
  }
  SendFileResult result;
  const auto batch = std::make_unique_for_overwrite<char[]>(kBatch);
  std::array<asio::const_buffer, kMaxPrefixBuffers + 1> pieces{};
  std::size_t count = std::min(prefix.size(), kMaxPrefixBuffers);
  std::copy_n(prefix.begin(), count, pieces.begin());
  do {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(length - result.sent, kBatch));
    std::size_t have = 0;
    while (have < want) {
      const ssize_t n = ::pread(fd, batch.get() + have, want - have,
                                static_cast<off_t>(offset + result.sent + have));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // a read error, or the file shrank after it was measured
        result.error = std::make_error_code(std::errc::io_error);
        co_return result;
      }
      have += static_cast<std::size_t>(n);
    }
    pieces[count++] = asio::const_buffer(batch.get(), have);
    if (before_wait) before_wait();
    auto [ec, written] =
        co_await transport.write(std::span<const asio::const_buffer>(pieces.data(), count));
    if (ec) {
      result.error = ec;
      co_return result;
    }
    result.sent += have;
    count = 0;
  } while (result.sent < length);
  co_return result;
}

}  // namespace bulwark::net
