#include "cli/command_line.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"

#ifndef BULWARK_VERSION
#define BULWARK_VERSION "unknown"
#endif

namespace bulwark::cli {
namespace {

constexpr unsigned kMaxWorkers = 1024;

// Where `endpoint` and `endpoints` find the running bulwark: exactly one of -c and --socket.
struct ControlTarget {
  std::string config;
  std::string socket;
};

void add_control_target(CLI::App& command, ControlTarget& target) {
  CLI::Option_group* group =
      command.add_option_group("target", "Which bulwark: exactly one of these");
  group->add_option("-c,--config", target.config,
                    "Configuration file of the running bulwark: its control_socket");
  group->add_option("--socket", target.socket, "The control socket of the running bulwark");
  group->require_option(1);
}

// Command words go to bulwark as one line of blank-separated words.
const CLI::Validator kOneWord(
    [](const std::string& word) -> std::string {
      const bool blank = std::ranges::any_of(
          word, [](char c) { return c == ' ' || (static_cast<unsigned char>(c) < 0x20); });
      return blank ? "must not contain blanks or control characters" : "";
    },
    "WORD");

// Help and --version are answers, not errors: standard output, exit 0. Anything else CLI11
// refuses is a usage error: one line saying what, then the usage of the command concerned.
int handle_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::CallForHelp*>(&error) != nullptr ||
      dynamic_cast<const CLI::CallForAllHelp*>(&error) != nullptr ||
      dynamic_cast<const CLI::CallForVersion*>(&error) != nullptr) {
    return app.exit(error);  // prints to stdout, returns 0
  }
  fmt::print(stderr, "bulwark: {}\n\n{}", error.what(), app.help());
  return kExitUsage;
}

}  // namespace

int run_command_line(int argc, char** argv) {
  CLI::App app{"bulwark: a reverse proxy", "bulwark"};
  app.set_version_flag("--version", std::string("bulwark ") + BULWARK_VERSION,
                       "Print the version and exit");
  app.require_subcommand(1);

  std::string run_config;
  CLI::App* run = app.add_subcommand("run", "Run the proxy with a configuration file");
  run->add_option("-c,--config", run_config, "Configuration file (YAML)")->required();

  std::string validate_config;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a configuration file and print a summary");
  validate->add_option("-c,--config", validate_config, "Configuration file (YAML)")->required();

  std::string reload_config;
  std::string reload_pid_file;
  CLI::App* reload = app.add_subcommand(
      "reload", "Tell a running bulwark to reload its configuration (SIGHUP to its pid file)");
  reload->add_option("-c,--config", reload_config,
                     "Configuration file: checked first, and its pid_file names the process");
  reload->add_option("-p,--pid-file", reload_pid_file, "The pid file of the running bulwark");
  reload->require_option(1);

  config::QuickOptions quick;
  CLI::App* proxy =
      app.add_subcommand("proxy", "Proxy one address to backends without a configuration file");
  proxy->add_option("--listen", quick.listen, "Address to accept on, HOST:PORT")->required();
  proxy->add_option("--to", quick.to, "Backend URL, http[s]://HOST[:PORT]; repeat for several")
      ->required()
      ->allow_extra_args(false);
  proxy->add_option("--workers", quick.workers, "Worker threads (default: one per core)")
      ->check(CLI::Range(1U, kMaxWorkers));
  proxy->add_option("--access-log", quick.access_log, "Access log file, or - for standard output");
  CLI::Option* tls_cert = proxy->add_option(
      "--tls-cert", quick.tls_cert, "Certificate chain (PEM): the listener speaks TLS (modern)");
  CLI::Option* tls_key =
      proxy->add_option("--tls-key", quick.tls_key, "Private key (PEM) of --tls-cert");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  proxy
      ->add_option("--tls-resumption", quick.tls_resumption,
                   "on (default), or off: no session tickets or cache, every handshake in full")
      ->check(CLI::IsMember({"on", "off"}))
      ->needs(tls_cert);
  proxy->add_flag("--insecure-upstream", quick.insecure_upstream,
                  "Do not verify the certificates of https:// backends (tests only)");
  proxy->add_flag("--compress", quick.compress,
                  "Compress responses with zstd, brotli or gzip, as the client accepts");
  // --cache alone, or --cache=SIZE: an optional value, so a plain option that may take none.
  CLI::Option* cache =
      proxy
          ->add_option(
              "--cache", quick.cache,
              "Cache responses as RFC 9111 allows, in memory (--cache=SIZE, default 256MiB)")
          ->expected(0, 1);
  proxy->add_option("--admin", quick.admin,
                    "Serve /metrics and the admin API on this loopback HOST:PORT");

  ControlTarget endpoint_target;
  std::string action;
  std::string cluster;
  std::string identity;
  CLI::App* endpoint = app.add_subcommand(
      "endpoint", "Drain, disable or enable an endpoint of a running bulwark (control_socket)");
  endpoint
      ->add_option("action", action,
                   "drain (no new requests; those in flight finish), disable (none), enable")
      ->required()
      ->check(CLI::IsMember({"drain", "disable", "enable"}));
  endpoint->add_option("cluster", cluster, "Cluster name")->required()->check(kOneWord);
  endpoint->add_option("endpoint", identity, "The endpoint's HOST:PORT as configured")
      ->required()
      ->check(kOneWord);
  add_control_target(*endpoint, endpoint_target);

  ControlTarget endpoints_target;
  std::string endpoints_cluster;
  CLI::App* endpoints = app.add_subcommand(
      "endpoints", "List the endpoints of a running bulwark with their state (control_socket)");
  endpoints->add_option("cluster", endpoints_cluster, "Only this cluster's")->check(kOneWord);
  add_control_target(*endpoints, endpoints_target);

  // CLI11 would call a mistyped subcommand "an unexpected argument" after "a subcommand is
  // required"; name it instead.
  if (argc > 1 && argv[1][0] != '-' &&
      app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == argv[1]; }).empty()) {
    fmt::print(stderr, "bulwark: unknown subcommand '{}'\n\n{}", argv[1], app.help());
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return handle_parse_error(app, error);
  }

  try {
    if (run->parsed()) return run_config_file(run_config);
    if (validate->parsed()) return validate_config_file(validate_config);
    if (reload->parsed()) return signal_reload(reload_config, reload_pid_file);
    if (proxy->parsed()) {
      if (cache->count() != 0 && quick.cache.empty()) quick.cache = "256MiB";
      return run_quick_proxy(quick);
    }
    if (endpoint->parsed()) {
      return send_control_command(endpoint_target.config, endpoint_target.socket,
                                  fmt::format("endpoint {} {} {}", action, cluster, identity));
    }
    if (endpoints->parsed()) {
      return send_control_command(
          endpoints_target.config, endpoints_target.socket,
          endpoints_cluster.empty() ? "endpoints" : "endpoints " + endpoints_cluster);
    }
  } catch (const std::exception& error) {
    // The server reports its own failures; this is the last line of defence.
    fmt::print(stderr, "bulwark: fatal: {}\n", error.what());
    return kExitFailure;
  }
  return kExitUsage;  // require_subcommand(1) makes this unreachable
}

}  // namespace bulwark::cli
