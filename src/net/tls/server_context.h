#pragma once
// The OpenSSL state of one TLS listener: its certificates by name (SNI), its policy, ALPN,
// session cache and tickets, OCSP staples and client-certificate checks. Built off the workers at
// load and reload from the listener's config, then shared read-only by all workers; a reload
// builds a new one, and connections already open keep the one they started with (OpenSSL
// reference-counts it), so nothing is dropped.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/tls.h"
#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls {

class TicketKeys;

class ServerContext {
 public:
  // Loads and checks every certificate, key, CA bundle and CRL; nullptr with `error` set to
  // "FILE: reason" (expired, key does not match, unreadable, wrong format, ...). `alpn` lists
  // the protocols offered in preference order ("http/1.1"). `ticket_keys` (may be null when
  // tickets are off) seals and opens session tickets for every listener that shares it.
  static std::shared_ptr<const ServerContext> build(const config::ListenerTls& tls,
                                                    std::span<const std::string> alpn,
                                                    std::shared_ptr<TicketKeys> ticket_keys,
                                                    std::string& error);

  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;
  ~ServerContext();

  // A server-side SSL (in accept state) for one accepted connection, not yet bound to a
  // descriptor; nullptr when OpenSSL is out of memory.
  [[nodiscard]] SslPtr new_ssl() const;
  // Every file the context was built from (certificates, keys, CA, CRL, OCSP responses): when one
  // changes, the server rebuilds the context.
  [[nodiscard]] const std::vector<std::string>& files() const noexcept;
  // Re-reads OCSP responses whose files changed since the last look; cheap when none did. Runs on
  // the main loop; workers see the new staple at their next handshake.
  void refresh_ocsp() const;

  struct State;  // server_context.cpp

 private:
  explicit ServerContext(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bulwark::net::tls
