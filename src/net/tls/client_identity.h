#pragma once
// What a verified client certificate says about its holder, in the forms sent upstream.
//
// A certificate is the client's own input, so every field is printable ASCII only: any byte
// outside 0x20-0x7e (CR, LF, NUL, other controls, DEL, and bytes of non-ASCII text) becomes
// "\XX", its two upper-case hex digits, as RFC 2253 escapes. In `sans`, where ',' separates the
// names, a ',' or '\' inside a name is escaped the same way ("\2C", "\5C"), so the list splits
// unambiguously on ','.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <string>

namespace bulwark::net::tls {

struct ClientIdentity {
  std::string subject;  // RFC 2253 ("CN=alice,O=Example"), the most specific RDN first
  // The subject alternative names of types DNS, email, URI and IP, in certificate order, each as
  // TYPE:VALUE and comma-separated without blanks, IPv6 addresses in RFC 5952 text:
  //   DNS:a.example,email:al@example.com,URI:spiffe://example.com/al,IP:10.0.0.1,IP:2001:db8::1
  // Other types (otherName, directoryName, ...) are left out.
  std::string sans;
  std::string fingerprint;  // SHA-256 of the DER certificate, lower-case hex without colons
};

// The identity of the certificate the peer of `ssl` presented, when it presented one and it
// verified; nullopt otherwise.
std::optional<ClientIdentity> verified_client_identity(SSL* ssl);

// The identity fields of `certificate`, verified or not (for verified_client_identity, tests and
// the fuzzer).
ClientIdentity client_identity_of(X509* certificate);

}  // namespace bulwark::net::tls
