#pragma once
// Opens files below a directory without ever leaving it. The request path has already lost its
// ".." segments (static_path.h), but a symbolic link inside the root can still point anywhere:
// to /etc, or through "../.." out of the root. Those are refused; links that stay inside the root
// are followed (a site that links /latest to /v2 keeps working).
//
// The choice: openat2(2) with RESOLVE_BENEATH (Linux 5.6+). The kernel resolves the whole path
// relative to the root's descriptor and fails with EXDEV the moment any step (a "..", an absolute
// link, a link whose target climbs out) would leave it; RESOLVE_NO_MAGICLINKS also refuses
// /proc-style links. One system call, and no window between a check and the open that a link
// swapped in meanwhile could slip through (which a realpath() check followed by open() has).
//
// Where openat2 is missing (ENOSYS: an older kernel, or a seccomp sandbox that does not know it)
// the fallback checks after opening: the path is opened with O_PATH (which reads nothing and
// opens no device), the kernel's own record of where the object lives (/proc/self/fd/N) must lie
// under the root's real path, and only then is the object reopened for reading through that
// descriptor. It is as race-free, at the cost of three more system calls and a mounted /proc.

#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <expected>
#include <string>
#include <unordered_map>

#include "router/static/file_handle.h"

namespace bulwark::router {

enum class Confinement : std::uint8_t {
  kAuto,            // openat2, or the fallback once the kernel has said ENOSYS
  kKernel,          // openat2 only
  kCheckAfterOpen,  // the fallback only (tests use it to cover it on any kernel)
};

class RootDirectory {
 public:
  RootDirectory(RootDirectory&&) noexcept = default;
  RootDirectory& operator=(RootDirectory&&) noexcept = default;

  // The root as configured (an absolute path; links in it are followed: it is trusted). On
  // failure, the errno value.
  static std::expected<RootDirectory, int> open(const std::string& path,
                                                Confinement confinement = Confinement::kAuto);

  // Opens `relative` (no leading '/'; "" is the root itself) read-only and non-blocking (a FIFO
  // must not stall the worker). On failure, the errno value: EXDEV when the path leads out of
  // the root, ENOENT, ENOTDIR, EACCES, ELOOP...
  [[nodiscard]] std::expected<FileHandle, int> open_file(const char* relative) const;
  [[nodiscard]] Confinement confinement() const noexcept { return confinement_; }

 private:
  RootDirectory(FileHandle directory, Confinement confinement)
      : directory_(std::move(directory)), confinement_(confinement) {}
  [[nodiscard]] std::expected<FileHandle, int> open_beneath(const char* relative) const;
  [[nodiscard]] std::expected<FileHandle, int> open_and_check(const char* relative) const;

  FileHandle directory_;
  Confinement confinement_;
};

// Root directories kept open between requests: opening and closing one per request would cost two
// system calls of the six a small file needs. One cache per thread (each worker has its own, no
// locks). A root's path is looked up again when the second changes, so that a root that is a link
// switched to a new release (a common way to deploy) is followed within a second, as nginx follows
// it on its next request; a root that went away fails from then on.
class RootDirectoryCache {
 public:
  // The worker thread's cache.
  static RootDirectoryCache& for_this_thread();

  // The open root at `path`; `now` in seconds (any clock). On failure, the errno value.
  std::expected<const RootDirectory*, int> get(const std::string& path, Confinement confinement,
                                               std::int64_t now);

 private:
  struct Entry {
    std::expected<RootDirectory, int> root = std::unexpected(ENOENT);
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t checked = 0;
  };
  // Roots of configurations long replaced are dropped when there are more than this.
  static constexpr std::size_t kMaxEntries = 64;

  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace bulwark::router
