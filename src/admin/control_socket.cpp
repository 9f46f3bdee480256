#include "admin/control_socket.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "admin/accept_loop.h"
#include "core/io.h"
#include "core/log.h"

namespace bulwark::admin {

using UnixProtocol = asio::local::stream_protocol;
using UnixAcceptor = asio::basic_socket_acceptor<UnixProtocol, core::Executor>;
using UnixSocket = asio::basic_stream_socket<UnixProtocol, core::Executor>;

struct ControlSocket::Shared {
  Shared(asio::io_context& loop, Handler run) : acceptor(loop), handler(std::move(run)) {}
  UnixAcceptor acceptor;
  Handler handler;
};

namespace {

// Commands are a few words; a longer line is not one.
constexpr std::size_t kMaxCommand = 4096;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Makes room for the socket at `path`: nothing there, or a socket file that no process answers
// on (left by one that was killed), which is removed. Anything else stays, and is an error.
std::expected<void, std::string> clear_stale(const std::string& path) {
  struct stat found = {};
  if (::lstat(path.c_str(), &found) != 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(
        fmt::format("cannot create control socket '{}': {}", path, errno_text(errno)));
  }
  if (!S_ISSOCK(found.st_mode)) {
    return std::unexpected(
        fmt::format("control socket '{}': the path exists and is not a socket", path));
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(fmt::format("cannot make a socket: {}", errno_text(errno)));
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());  // the config checked the length
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  const int connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  // EAGAIN: a live listener whose queue is full.
  if (connected == 0 || error == EAGAIN) {
    return std::unexpected(
        fmt::format("control socket '{}' is in use by a running process (another bulwark?)", path));
  }
  if (error != ECONNREFUSED) {
    return std::unexpected(
        fmt::format("cannot check control socket '{}': {}", path, errno_text(error)));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(
        fmt::format("cannot remove stale control socket '{}': {}", path, errno_text(errno)));
  }
  BULWARK_LOG_INFO("control socket '{}': replaced a stale socket file", path);
  return {};
}

// Answers one line into `out`; blank lines get no answer (a person pressing return).
void answer(std::string_view line, const ControlSocket::Handler& handler, std::string& out) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  const ControlAnswer answer = handler(line);
  out += answer.text;
  out += "\n\n";
}

core::Task<void> serve(UnixSocket socket, std::shared_ptr<ControlSocket::Shared> shared) {
  std::string input;
  std::array<char, 1024> chunk{};
  for (bool open = true; open;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), core::kAsTuple);
    if (ec) {
      open = false;  // the client is done sending (or gone): answer what it sent
    } else {
      input.append(chunk.data(), n);
    }
    std::string answers;
    std::size_t start = 0;
    for (std::size_t end = input.find('\n'); end != std::string::npos;
         start = end + 1, end = input.find('\n', start)) {
      answer(std::string_view(input).substr(start, end - start), shared->handler, answers);
    }
    input.erase(0, start);
    if (!open && !input.empty()) answer(input, shared->handler, answers);  // no final newline
    if (input.size() > kMaxCommand) {
      answers += fmt::format("error: a command is at most {} bytes\n\n", kMaxCommand);
      open = false;
    }
    if (answers.empty()) continue;
    auto [write_ec, written] =
        co_await asio::async_write(socket, asio::buffer(answers), core::kAsTuple);
    if (write_ec) break;
  }
}

}  // namespace

std::expected<std::unique_ptr<ControlSocket>, std::string> ControlSocket::open(
    asio::io_context& loop, std::string path, Handler handler) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return std::unexpected(fmt::format("control socket '{}': the path is too long", path));
  }
  if (auto cleared = clear_stale(path); !cleared) return std::unexpected(cleared.error());
  auto shared = std::make_shared<Shared>(loop, std::move(handler));
  UnixAcceptor& acceptor = shared->acceptor;
  asio::error_code ec;
  if (acceptor.open(UnixProtocol(), ec); !ec) {
    // Before bind(2), which gives the file the socket's mode: nobody else can ever connect.
    if (::fchmod(acceptor.native_handle(), S_IRUSR | S_IWUSR) != 0) {
      ec.assign(errno, asio::error::get_system_category());
    }
  }
  if (!ec) acceptor.bind(UnixProtocol::endpoint(path), ec);
  if (ec) {
    return std::unexpected(
        fmt::format("cannot create control socket '{}': {}", path, ec.message()));
  }
  struct stat made = {};
  if (::stat(path.c_str(), &made) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return std::unexpected(
        fmt::format("cannot create control socket '{}': {}", path, errno_text(error)));
  }
  // From here on the object owns the file: an error removes it.
  std::unique_ptr<ControlSocket> socket(
      new ControlSocket(std::move(path), shared, made.st_dev, made.st_ino));
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return std::unexpected(
        fmt::format("cannot listen on control socket '{}': {}", socket->path_, ec.message()));
  }
  asio::co_spawn(loop, accept_connections(std::move(shared), "control socket", serve),
                 asio::detached);
  return socket;
}

ControlSocket::~ControlSocket() {
  asio::error_code ignored;
  shared_->acceptor.close(ignored);
  if (names(path_)) ::unlink(path_.c_str());
}

bool ControlSocket::names(const std::string& path) const {
  struct stat found = {};
  return ::stat(path.c_str(), &found) == 0 && found.st_dev == device_ && found.st_ino == inode_;
}

}  // namespace bulwark::admin
