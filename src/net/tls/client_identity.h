#pragma once
// What a verified client certificate says about its holder, in the forms sent upstream.

#include <openssl/ssl.h>

#include <optional>
#include <string>

namespace bulwark::net::tls {

struct ClientIdentity {
  std::string subject;      // RFC 2253 ("CN=alice,O=Example")
  std::string sans;         // DNS, email, URI and IP subject alternative names, comma-separated
  std::string fingerprint;  // SHA-256 of the DER certificate, lower-case hex
};

// The identity of the certificate the peer of `ssl` presented, when it presented one and it
// verified; nullopt otherwise.
std::optional<ClientIdentity> verified_client_identity(SSL* ssl);

}  // namespace bulwark::net::tls
