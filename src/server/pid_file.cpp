#include "server/pid_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>
#include <utility>

namespace bulwark::server {
namespace {

// Opening and locking race with a process that removes its file on exit; after this many
// rounds something else keeps replacing the file.
constexpr int kAcquireAttempts = 10;
// "4194304\n" at most (pid_max on Linux); a longer file is not a pid file.
constexpr std::size_t kMaxPidText = 32;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::string read_text(int fd) {
  char text[kMaxPidText];
  std::size_t size = 0;
  while (size < sizeof text) {
    const ssize_t n = ::pread(fd, text + size, sizeof text - size, static_cast<off_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  return {text, size};
}

// The number in a pid file ("1234\n"), or 0 when there is none.
pid_t parse_pid(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc{} || end != text.data() + text.size() || pid <= 0) return 0;
  return pid;
}

// True when `fd` and `path` are the same file: the one at `path` was not removed or replaced
// since `fd` was opened.
bool still_named(int fd, const std::string& path) {
  struct stat opened = {};
  struct stat named = {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 &&
         opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

}  // namespace

std::expected<PidFile, std::string> PidFile::acquire(const std::string& path) {
  for (int attempt = 0; attempt < kAcquireAttempts; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return std::unexpected(fmt::format("cannot open pid file '{}': {}", path, errno_text(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const pid_t holder = parse_pid(read_text(fd));
      ::close(fd);
      if (error != EWOULDBLOCK) {
        return std::unexpected(
            fmt::format("cannot lock pid file '{}': {}", path, errno_text(error)));
      }
      return std::unexpected(
          holder > 0
              ? fmt::format("pid file '{}' is held by a running bulwark (pid {})", path, holder)
              : fmt::format("pid file '{}' is held by a running bulwark", path));
    }
    // The lock is only worth something on the file that `path` names now.
    if (!still_named(fd, path)) {
      ::close(fd);
      continue;
    }
    // What a stale file said must not be read as this process's pid before it is written.
    if (::ftruncate(fd, 0) != 0) {
      const int error = errno;
      ::close(fd);
      return std::unexpected(
          fmt::format("cannot write pid file '{}': {}", path, errno_text(error)));
    }
    return PidFile(path, fd);
  }
  return std::unexpected(
      fmt::format("pid file '{}' keeps being replaced by another process", path));
}

PidFile::PidFile(PidFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PidFile::~PidFile() {
  release();
}

void PidFile::release() noexcept {
  if (fd_ < 0) return;
  // Removed while still locked, so that nobody takes it over in between; and only if it is still
  // this file (someone may have removed it and started another bulwark).
  if (still_named(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

bool PidFile::names(const std::string& path) const {
  return fd_ >= 0 && still_named(fd_, path);
}

std::expected<void, std::string> PidFile::write_pid() {
  const std::string text = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return std::unexpected(fmt::format("cannot write pid file '{}': {}", path_, errno_text(errno)));
  }
  return {};
}

std::expected<pid_t, std::string> read_live_pid(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) {
      return std::unexpected(
          fmt::format("no pid file at '{}': is bulwark running with this pid_file?", path));
    }
    return std::unexpected(fmt::format("cannot open pid file '{}': {}", path, errno_text(error)));
  }
  const std::string text = read_text(fd);
  // A shared lock that can be taken means that no bulwark holds the file; closing drops it.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  const pid_t pid = parse_pid(text);
  if (!held) {
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      return std::unexpected(
          fmt::format("pid file '{}' is stale: process {} is not running", path, pid));
    }
    return std::unexpected(
        fmt::format("pid file '{}' is stale: no running bulwark holds it", path));
  }
  if (pid == 0) {
    return std::unexpected(
        text.empty() ? fmt::format("pid file '{}' is empty: bulwark is still starting", path)
                     : fmt::format("pid file '{}' does not hold a process id", path));
  }
  return pid;
}

}  // namespace bulwark::server
