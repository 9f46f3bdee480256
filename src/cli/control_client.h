#pragma once
// The client side of the control socket (admin/control_socket.h): one command, one answer.

#include <expected>
#include <string>

namespace bulwark::cli {

// Sends `command` to the control socket at `path` and returns bulwark's answer (without the
// empty line that ends it), or why it could not be had: no socket, nobody listening, no answer
// in time.
[[nodiscard]] std::expected<std::string, std::string> ask_control_socket(
    const std::string& path, const std::string& command);

}  // namespace bulwark::cli
