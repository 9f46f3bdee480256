#include "cli/control_client.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace bulwark::cli {
namespace {

// bulwark answers from its main loop at once; a socket silent for this long is not answering.
constexpr timeval kTimeout{10, 0};

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

class Descriptor {
 public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string why_unreachable(const std::string& path, int error) {
  std::string text =
      fmt::format("cannot connect to control socket '{}': {}", path, errno_text(error));
  if (error == ENOENT || error == ECONNREFUSED) {
    return text + " (is bulwark running with this control_socket?)";
  }
  return text;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::expected<std::string, std::string> ask_control_socket(const std::string& path,
                                                           const std::string& command) {
  sockaddr_un address = {};
  if (path.size() >= sizeof address.sun_path) {
    return std::unexpected(fmt::format("control socket path '{}' is too long", path));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const Descriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) return std::unexpected(why_unreachable(path, errno));
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &kTimeout, sizeof kTimeout);
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &kTimeout, sizeof kTimeout);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return std::unexpected(why_unreachable(path, errno));
  }
  // One command, then end of input: bulwark answers it and closes.
  if (!send_all(socket.get(), command + "\n") || ::shutdown(socket.get(), SHUT_WR) != 0) {
    return std::unexpected(
        fmt::format("control socket '{}': cannot send: {}", path, errno_text(errno)));
  }
  std::string answer;
  std::array<char, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::recv(socket.get(), chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      return std::unexpected(
          error == EAGAIN || error == EWOULDBLOCK
              ? fmt::format("control socket '{}': no answer within {} s", path, kTimeout.tv_sec)
              : fmt::format("control socket '{}': {}", path, errno_text(error)));
    }
    if (n == 0) break;
    answer.append(chunk.data(), static_cast<std::size_t>(n));
  }
  if (!answer.ends_with("\n\n")) {
    return std::unexpected(fmt::format("control socket '{}': the answer was cut short", path));
  }
  answer.resize(answer.size() - 2);
  return answer;
}

}  // namespace bulwark::cli
