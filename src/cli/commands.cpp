#include "cli/commands.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <system_error>

#include "cli/control_client.h"
#include "cli/summary.h"
#include "config/loader.h"
#include "server/pid_file.h"
#include "server/server.h"

namespace bulwark::cli {
namespace {

// Positioned diagnostics read as compiler messages ("file:line:column: ..."); the others (an
// unreadable file, the command line) are prefixed with the program name like any Unix tool.
void print_errors(const std::vector<config::Diagnostic>& errors) {
  for (const config::Diagnostic& error : errors) {
    if (error.mark.line > 0) {
      fmt::print(stderr, "{}\n", error.format());
    } else {
      fmt::print(stderr, "bulwark: {}\n", error.format());
    }
  }
}

}  // namespace

int run_config_file(const std::string& path) {
  config::LoadResult loaded = config::load_config_file(path);
  if (!loaded.config) {
    print_errors(loaded.errors);
    return kExitFailure;
  }
  // A reload (SIGHUP) reads the same file again; the server keeps the old snapshot if it fails.
  return server::run(loaded.config, [path] { return config::load_config_file(path); });
}

int validate_config_file(const std::string& path) {
  const config::LoadResult loaded = config::load_config_file(path);
  if (!loaded.config) {
    print_errors(loaded.errors);
    return kExitFailure;
  }
  fmt::print("{}\n", summarize(*loaded.config));
  return kExitOk;
}

int signal_reload(const std::string& config_path, const std::string& pid_file) {
  std::string path = pid_file;
  if (path.empty()) {
    // Checked here first, as `nginx -s reload` does: the errors show where the command was typed
    // instead of only in the server's log, and nothing is signalled for a file that would fail.
    const config::LoadResult loaded = config::load_config_file(config_path);
    if (!loaded.config) {
      print_errors(loaded.errors);
      fmt::print(stderr, "bulwark: not reloading: {} has errors\n", config_path);
      return kExitFailure;
    }
    if (loaded.config->pid_file.empty()) {
      fmt::print(stderr, "bulwark: {} sets no pid_file; name the pid file with -p/--pid-file\n",
                 config_path);
      return kExitFailure;
    }
    path = loaded.config->pid_file;
  }
  auto pid = server::read_live_pid(path);
  if (!pid) {
    fmt::print(stderr, "bulwark: {}\n", pid.error());
    return kExitFailure;
  }
  if (::kill(*pid, SIGHUP) != 0) {
    fmt::print(stderr, "bulwark: cannot signal process {}: {}\n", *pid,
               std::error_code(errno, std::generic_category()).message());
    return kExitFailure;
  }
  fmt::print("bulwark: sent SIGHUP to process {}; its error log says how the reload went\n", *pid);
  return kExitOk;
}

int send_control_command(const std::string& config_path, const std::string& socket_path,
                         const std::string& command) {
  std::string path = socket_path;
  if (path.empty()) {
    const config::LoadResult loaded = config::load_config_file(config_path);
    if (!loaded.config) {
      print_errors(loaded.errors);
      fmt::print(stderr, "bulwark: {} has errors; name the socket with --socket\n", config_path);
      return kExitFailure;
    }
    if (loaded.config->control_socket.empty()) {
      fmt::print(stderr, "bulwark: {} sets no control_socket; name the socket with --socket\n",
                 config_path);
      return kExitFailure;
    }
    path = loaded.config->control_socket;
  }
  auto answer = ask_control_socket(path, command);
  if (!answer) {
    fmt::print(stderr, "bulwark: {}\n", answer.error());
    return kExitFailure;
  }
  constexpr std::string_view kError = "error: ";
  if (answer->starts_with(kError)) {
    fmt::print(stderr, "bulwark: {}\n", std::string_view(*answer).substr(kError.size()));
    return kExitFailure;
  }
  fmt::print("{}\n", *answer);
  return kExitOk;
}

int run_quick_proxy(const config::QuickOptions& options) {
  config::LoadResult built = config::build_quick_config(options);
  if (!built.config) {
    print_errors(built.errors);
    return kExitUsage;
  }
  // Nothing to re-read: a reload keeps the same configuration.
  return server::run(built.config, [built] { return built; });
}

}  // namespace bulwark::cli
