#pragma once
// The `bulwark` command line: run, validate, reload, proxy, endpoint, endpoints, --version,
// --help.
//
// Exit codes: 0 done, 1 the configuration or the server failed, 2 the command line itself is
// wrong (unknown option or subcommand, missing option, bad value).

namespace bulwark::cli {

int run_command_line(int argc, char** argv);

}  // namespace bulwark::cli
