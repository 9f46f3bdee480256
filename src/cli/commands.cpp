#include "cli/commands.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/summary.h"
#include "config/loader.h"
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
