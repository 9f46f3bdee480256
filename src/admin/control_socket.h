#pragma once
// The control socket (config `control_socket:`): a Unix stream socket on the main thread's loop
// that takes operator commands (control_commands.h), one per line. Each answer is its lines
// followed by an empty line, so that a client that keeps the connection open knows where an
// answer ends; `bulwark endpoint ...` sends one command and reads until bulwark closes.
//
// Who may connect is what the file system says: the socket is made mode 0600, owned by the
// user bulwark runs as. A socket file left by a process that died is replaced at start; one that
// a running process still answers on is not, and neither is anything that is not a socket.
// The file is removed when the socket closes (at exit, or when a reload moves it).

#include <sys/types.h>

#include <asio/io_context.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "admin/control_commands.h"

namespace bulwark::admin {

class ControlSocket {
 public:
  // Runs one command line; called on the loop's thread.
  using Handler = std::function<ControlAnswer(std::string_view line)>;

  // Creates the socket at `path` and serves it on `loop`.
  static std::expected<std::unique_ptr<ControlSocket>, std::string> open(asio::io_context& loop,
                                                                         std::string path,
                                                                         Handler handler);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  // Stops accepting and removes the file, if it is still this socket's. Connections in progress
  // finish their commands.
  ~ControlSocket();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // True when `path` names this socket's file, however it is spelt.
  [[nodiscard]] bool names(const std::string& path) const;

  struct Shared;  // what the accept loop and the connections keep alive

 private:
  ControlSocket(std::string path, std::shared_ptr<Shared> shared, dev_t device,
                ino_t inode) noexcept
      : path_(std::move(path)), shared_(std::move(shared)), device_(device), inode_(inode) {}

  std::string path_;
  std::shared_ptr<Shared> shared_;
  dev_t device_;  // of the file bind(2) made, to tell it from one that replaced it since
  ino_t inode_;
};

}  // namespace bulwark::admin
