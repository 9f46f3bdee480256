#pragma once
// TLS to a cluster's backends: the cluster's SSL_CTX (policy, trusted CAs, client certificate)
// and the sessions it keeps per endpoint so that a new pooled connection resumes instead of
// paying a full handshake. Built at load and reload; shared by all workers.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "config/tls.h"
#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls {

// The application protocols offered to backends by ALPN, in preference order.
enum class AlpnOffer : std::uint8_t {
  kHttp11,      // "http/1.1"
  kH2,          // "h2"
  kH2OrHttp11,  // "h2", "http/1.1": the backend chooses (cluster protocol auto)
};

class ClientContext {
 public:
  // nullptr with `error` set to "FILE: reason" when a CA bundle, certificate or key is bad.
  static std::shared_ptr<const ClientContext> build(const config::UpstreamTls& tls, AlpnOffer alpn,
                                                    std::string& error);
  // Whether the handshake on `ssl` chose HTTP/2.
  static bool negotiated_h2(const SSL* ssl) noexcept;

  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  ~ClientContext();

  // A client-side SSL for a connection to the endpoint `endpoint_key` (its "ip:port"), sending
  // `server_name` as SNI and, when verification is on, checking the certificate against it (an
  // IP address is checked as one, and not sent as SNI). Resumes the endpoint's last session for
  // that name when reuse is on. nullptr when OpenSSL refuses the SSL or the name.
  [[nodiscard]] SslPtr new_ssl(std::string_view server_name, std::string_view endpoint_key) const;
  // The configured server name, or empty (then the endpoint's host is used).
  [[nodiscard]] const std::string& server_name() const noexcept;
  // Why the certificate of the peer of `ssl` failed verification, for the log ("certificate
  // verify failed: self-signed certificate in certificate chain", "certificate verify failed:
  // hostname mismatch (expected backend.example)"); empty when it did not fail.
  static std::string verify_failure(SSL* ssl);
  // Why a handshake that ended with `ec` failed: the verification failure, else OpenSSL's
  // reasons, else the socket's error ("timed out" and the like come from the caller).
  static std::string handshake_failure(SSL* ssl, std::error_code ec);

  struct State;  // client_context.cpp

 private:
  explicit ClientContext(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bulwark::net::tls
