#include "config/tls_files.h"

#include <string>

#include "net/tls/client_context.h"
#include "net/tls/server_context.h"

namespace bulwark::config {

std::vector<Diagnostic> check_tls_files(const Config& config) {
  std::vector<Diagnostic> errors;
  for (const Listener& listener : config.listeners) {
    if (!listener.tls) continue;
    std::string error;
    // ALPN and ticket keys do not depend on files: any value builds the same checks.
    if (!net::tls::ServerContext::build(*listener.tls, {}, nullptr, error)) {
      errors.push_back({listener.tls->mark, error, {}});
    }
  }
  for (const Cluster& cluster : config.clusters) {
    if (!cluster.tls) continue;
    std::string error;
    if (!net::tls::ClientContext::build(*cluster.tls, net::tls::AlpnOffer::kHttp11, error)) {
      errors.push_back({cluster.tls->mark, error, {}});
    }
  }
  return errors;
}

}  // namespace bulwark::config
