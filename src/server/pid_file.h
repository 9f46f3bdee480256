#pragma once
// The pid file (config `pid_file:`): names the running process for `bulwark reload` and for
// service managers.
//
// The server holds an exclusive flock(2) on the file for as long as it runs. That lock, not the
// number in the file, says whether a bulwark is alive: a file nobody locks is stale (its process
// died without removing it) and is taken over, and a reused pid cannot make a dead server look
// alive or a live one look dead.

#include <sys/types.h>

#include <expected>
#include <string>

namespace bulwark::server {

class PidFile {
 public:
  // Creates `path`, or takes over a stale one, locks it and empties it (the pid is written once
  // the listeners are open). Fails when a running bulwark holds the file or it cannot be created.
  static std::expected<PidFile, std::string> acquire(const std::string& path);

  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&& other) noexcept;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  // Removes the file.
  ~PidFile();

  // Writes this process's id.
  [[nodiscard]] std::expected<void, std::string> write_pid();
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // True when `path` names this file, however it is spelt.
  [[nodiscard]] bool names(const std::string& path) const;

 private:
  PidFile(std::string path, int fd) noexcept : path_(std::move(path)), fd_(fd) {}
  void release() noexcept;

  std::string path_;
  int fd_ = -1;
};

// The pid of the running bulwark that holds the pid file at `path`, or why there is none: no
// file, an empty one (bulwark is starting), no number in it, or a stale file.
[[nodiscard]] std::expected<pid_t, std::string> read_live_pid(const std::string& path);

}  // namespace bulwark::server
