#include "net/send_file.h"

#include <sys/sendfile.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>

namespace bulwark::net {
namespace {

// Bytes per sendfile call and between two yields to the event loop (nginx's sendfile_max_chunk).
constexpr std::uint64_t kChunk = std::uint64_t{2} << 20;

}  // namespace

core::Task<SendFileResult> send_file(core::TcpSocket& socket, int fd, std::uint64_t offset,
                                     std::uint64_t length, std::function<void()> before_wait) {
  SendFileResult result;
  asio::error_code ec;
  if (!socket.native_non_blocking()) socket.native_non_blocking(true, ec);
  if (ec) {
    result.error = ec;
    co_return result;
  }
  auto position = static_cast<off_t>(offset);
  std::uint64_t since_wait = 0;
  while (result.sent < length) {
    if (since_wait >= kChunk) {
      co_await asio::post(socket.get_executor(), core::kUseTask);
      since_wait = 0;
    }
    const std::size_t count = std::min(length - result.sent, kChunk);
    const ssize_t n = ::sendfile(socket.native_handle(), fd, &position, count);
    if (n > 0) {
      result.sent += static_cast<std::uint64_t>(n);
      since_wait += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) {  // end of file before `length`: the file shrank after it was measured
      result.error = std::make_error_code(std::errc::io_error);
      co_return result;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
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
