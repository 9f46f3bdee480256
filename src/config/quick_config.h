#pragma once
// `bulwark proxy --listen ADDR:PORT --to URL...`: the same Config a file would give, built from
// the command line (DESIGN.md §2a): one listener "quick", one virtual host "*", one route
// prefix "/" to cluster "quick" with an endpoint per --to URL. --tls-cert/--tls-key make the
// listener TLS; https:// URLs make the cluster speak TLS to its backends.

#include <string>
#include <vector>

#include "config/loader.h"

namespace bulwark::config {

struct QuickOptions {
  std::string listen;           // HOST:PORT
  std::vector<std::string> to;  // http://HOST[:PORT], at least one
  unsigned workers = 0;         // 0: one per core
  std::string access_log;       // empty: off; "-": standard output
  // Both or neither: the listener speaks TLS with this certificate and key (profile modern).
  std::string tls_cert;
  std::string tls_key;
  // "on" or "off" (no tickets, no session cache: every handshake is a full one, to measure
  // them); empty: on. Only with tls_cert.
  std::string tls_resumption;
  bool insecure_upstream = false;  // https:// backends' certificates are not verified
  bool compress = false;           // the virtual host runs the compression filter's defaults
  // A size ("256MiB"): the virtual host runs the cache filter's defaults over a memory tier of
  // that size; empty: no cache.
  std::string cache;
  std::string admin;  // HOST:PORT of the admin listener (loopback: no token here)
};

// Errors carry SourceMark{file = "command line", line = 0}.
[[nodiscard]] LoadResult build_quick_config(const QuickOptions& options);

}  // namespace bulwark::config
