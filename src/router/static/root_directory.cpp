#include "router/static/root_directory.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string_view>

namespace bulwark::router {
namespace {

constexpr int kReadFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// Set once the kernel has answered ENOSYS: no need to ask again.
std::atomic<bool> openat2_missing{false};

// "/proc/self/fd/N"
using ProcPath = std::array<char, 32>;
ProcPath proc_path(int fd) {
  ProcPath path{};
  std::snprintf(path.data(), path.size(), "/proc/self/fd/%d", fd);
  return path;
}

// Where the kernel says `fd` lives; nullopt (errno set) when it cannot say.
std::optional<std::string> real_path_of(int fd) {
  std::array<char, 4096> target{};
  const ssize_t size = ::readlink(proc_path(fd).data(), target.data(), target.size());
  if (size < 0) return std::nullopt;
  if (static_cast<std::size_t>(size) == target.size()) {
    errno = ENAMETOOLONG;
    return std::nullopt;
  }
  return std::string(target.data(), static_cast<std::size_t>(size));
}

bool is_below(std::string_view path, std::string_view root) {
  if (root == "/") return path.starts_with('/');
  return path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/');
}

}  // namespace

std::expected<RootDirectory, int> RootDirectory::open(const std::string& path,
                                                      Confinement confinement) {
  FileHandle directory(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!directory) return std::unexpected(errno);
  return RootDirectory(std::move(directory), confinement);
}

std::expected<FileHandle, int> RootDirectory::open_file(const char* relative) const {
  if (*relative == '\0') relative = ".";
  switch (confinement_) {
    case Confinement::kKernel:
      return open_beneath(relative);
    case Confinement::kCheckAfterOpen:
      return open_and_check(relative);
    case Confinement::kAuto:
      break;
  }
  if (!openat2_missing.load(std::memory_order_relaxed)) {
    std::expected<FileHandle, int> file = open_beneath(relative);
    if (file || file.error() != ENOSYS) return file;
    openat2_missing.store(true, std::memory_order_relaxed);
  }
  return open_and_check(relative);
}

std::expected<FileHandle, int> RootDirectory::open_beneath(const char* relative) const {
  open_how how{};
  how.flags = kReadFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, directory_.get(), relative, &how, sizeof how);
    if (fd >= 0) return FileHandle(static_cast<int>(fd));
    // EAGAIN: a rename raced with the lookup (RESOLVE_BENEATH is strict about that); try again.
    if (errno != EINTR && errno != EAGAIN) return std::unexpected(errno);
  }
}

std::expected<FileHandle, int> RootDirectory::open_and_check(const char* relative) const {
  const FileHandle located(::openat(directory_.get(), relative, O_PATH | O_CLOEXEC));
  if (!located) return std::unexpected(errno);
  const std::optional<std::string> root = real_path_of(directory_.get());
  const std::optional<std::string> where = real_path_of(located.get());
  if (!root || !where) return std::unexpected(errno);
  if (!is_below(*where, *root)) return std::unexpected(EXDEV);
  FileHandle file(::open(proc_path(located.get()).data(), kReadFlags));
  if (!file) return std::unexpected(errno);
  return file;
}

RootDirectoryCache& RootDirectoryCache::for_this_thread() {
  thread_local RootDirectoryCache cache;
  return cache;
}

std::expected<const RootDirectory*, int> RootDirectoryCache::get(const std::string& path,
                                                                 Confinement confinement,
                                                                 std::int64_t now) {
  auto found = entries_.find(path);
  if (found != entries_.end() && found->second.checked == now && found->second.root &&
      found->second.root->confinement() == confinement) {
    return &*found->second.root;
  }
  if (found == entries_.end()) {
    if (entries_.size() >= kMaxEntries) entries_.clear();
    found = entries_.emplace(path, Entry{}).first;
  }
  Entry& entry = found->second;
  entry.checked = now;
  struct stat info = {};
  if (::stat(path.c_str(), &info) != 0) {
    entry.root = std::unexpected(errno);
    return std::unexpected(errno);
  }
  if (!entry.root || entry.root->confinement() != confinement || info.st_dev != entry.device ||
      info.st_ino != entry.inode) {
    entry.root = RootDirectory::open(path, confinement);
    entry.device = info.st_dev;
    entry.inode = info.st_ino;
  }
  if (!entry.root) return std::unexpected(entry.root.error());
  return &*entry.root;
}

}  // namespace bulwark::router
