#include "net/send_file.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <asio/post.hpp>
#include <cassert>
#include <cerrno>

namespace bulwark::net {
namespace {

// Bytes per sendfile call and between two yields to the event loop (nginx's sendfile_max_chunk).
constexpr std::uint64_t kChunk = std::uint64_t{2} << 20;

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

}  // namespace

core::Task<SendFileResult> send_file(core::TcpSocket& socket,
                                     std::span<const asio::const_buffer> prefix, int fd,
                                     std::uint64_t offset, std::uint64_t length,
                                     std::function<void()> before_wait) {
  SendFileResult result;
  // sendfile has no MSG_DONTWAIT: the socket itself must not block (Asio sets this on the first
  // asynchronous operation; a fresh socket may not have had one).
  asio::error_code ec;
  if (!socket.native_non_blocking()) socket.native_non_blocking(true, ec);
  if (ec) {
    result.error = ec;
    co_return result;
  }
  assert(prefix.size() <= kMaxPrefixBuffers);
  std::array<iovec, kMaxPrefixBuffers> vectors{};
  std::size_t first = 0;
  std::size_t count = 0;
  for (const asio::const_buffer& buffer : prefix) {
    if (buffer.size() == 0) continue;
    vectors[count++] = {const_cast<void*>(buffer.data()), buffer.size()};
  }
  // With nothing to follow, MSG_MORE would hold the bytes back until the kernel's cork timer.
  const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (length > 0 ? MSG_MORE : 0);
  auto position = static_cast<off_t>(offset);
  std::uint64_t since_wait = 0;
  while (first < count || result.sent < length) {
    ssize_t n = 0;
    if (first < count) {
      msghdr message{};
      message.msg_iov = &vectors[first];
      message.msg_iovlen = count - first;
      n = ::sendmsg(socket.native_handle(), &message, flags);
      for (auto left = n; left > 0;) {  // drop what went out
        const auto step = std::min(static_cast<std::size_t>(left), vectors[first].iov_len);
        vectors[first].iov_base = static_cast<char*>(vectors[first].iov_base) + step;
        vectors[first].iov_len -= step;
        left -= static_cast<ssize_t>(step);
        if (vectors[first].iov_len == 0) ++first;
      }
    } else {
      if (since_wait >= kChunk) {
        co_await asio::post(socket.get_executor(), core::kUseTask);
        since_wait = 0;
      }
      const std::size_t chunk = std::min(length - result.sent, kChunk);
      n = ::sendfile(socket.native_handle(), fd, &position, chunk);
      if (n == 0) {  // end of file before `length`: the file shrank after it was measured
        result.error = std::make_error_code(std::errc::io_error);
        co_return result;
      }
      if (n > 0) {
        result.sent += static_cast<std::uint64_t>(n);
        since_wait += static_cast<std::uint64_t>(n);
      }
    }
    if (n >= 0 || errno == EINTR) continue;
    if (!would_block(errno)) {
      // sendfile reports read errors of the file and write errors of the socket alike; the
      // socket's are what a client going away produces.
      result.error = std::error_code(errno, std::generic_category());
      co_return result;
    }
    if (before_wait) before_wait();
    auto [wait_error] = co_await socket.async_wait(asio::socket_base::wait_write, core::kAsTuple);
    if (wait_error) {
      result.error = wait_error;
      co_return result;
    }
    since_wait = 0;
  }
  co_return result;
}

}  // namespace bulwark::net
