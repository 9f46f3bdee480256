#pragma once
// What each subcommand does once its options are parsed.

#include <string>

#include "config/quick_config.h"

namespace bulwark::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// bulwark run -c FILE
int run_config_file(const std::string& path);
// bulwark validate -c FILE
int validate_config_file(const std::string& path);
// bulwark reload -c FILE | -p PID_FILE: sends SIGHUP to the bulwark that holds the pid file
// (given, or the pid_file of FILE, which must be valid); it does not wait for the outcome, which
// the server logs.
int signal_reload(const std::string& config_path, const std::string& pid_file);
// bulwark proxy --listen ... --to ...
int run_quick_proxy(const config::QuickOptions& options);
// bulwark endpoint drain|disable|enable CLUSTER HOST:PORT and bulwark endpoints [CLUSTER]:
// sends `command` to the control socket (given, or the control_socket of FILE) and prints the
// answer; 1 for an error answer or a socket that does not answer.
int send_control_command(const std::string& config_path, const std::string& socket_path,
                         const std::string& command);

}  // namespace bulwark::cli
