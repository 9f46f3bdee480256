#pragma once
// TLS settings: a listener's termination (certificates, policy, resumption, client certificates,
// HSTS) and a cluster's TLS to its backends. Part of the typed configuration (config.h); the
// OpenSSL objects built from them live in net/tls/.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/source_mark.h"

namespace bulwark::config {

// Where an encrypted private key's passphrase comes from; both empty: the key is not encrypted.
struct Passphrase {
  std::string env;   // an environment variable holding it
  std::string file;  // a file holding it (one line; the trailing newline is not part of it)
};

// One certificate chain and its key. A listener may hold several: the client's SNI picks among
// them by the names in each certificate (exact names first, then wildcards, then the default),
// and among certificates for the same name (RSA and ECDSA) the client's signature algorithms.
struct TlsCertificate {
  std::string cert;  // PEM: the leaf first, then the intermediates (a full chain)
  std::string key;   // PEM private key, encrypted or not
  Passphrase passphrase;
  // A DER OCSP response to staple, re-read when the file changes; empty: no stapling.
  std::string ocsp_response;
  bool default_certificate = false;  // served when no name matches (else the first one is)
  SourceMark mark;
};

// Protocol versions, cipher lists and groups. The profile gives all of them; the other fields,
// when set, override its choice.
struct TlsPolicy {
  // Mozilla's server-side TLS guidelines: "modern" (TLS 1.3 only) or "intermediate" (TLS 1.2 and
  // 1.3, forward-secret AEAD suites).
  std::string profile = "intermediate";
  std::vector<std::string> protocols;  // "TLSv1.2", "TLSv1.3"; empty: the profile's
  std::string ciphers;                 // TLS 1.2 cipher list (OpenSSL syntax); empty: the profile's
  std::string ciphersuites;            // TLS 1.3 suites; empty: the profile's
  std::vector<std::string> groups;     // "X25519", "P-256", ...; empty: the profile's
  bool prefer_server_ciphers = true;
};

// Stateless session tickets and a server-side session cache. 0-RTT early data is never accepted.
struct TlsResumption {
  bool tickets = true;
  // Ticket keys are shared by all workers and replaced every rotation; tickets sealed with the
  // previous key are still accepted for one more period.
  std::chrono::milliseconds ticket_key_rotation{std::chrono::hours{12}};
  bool session_cache = true;
  std::size_t session_cache_size = 20'480;  // sessions (shared by all workers)
  std::chrono::milliseconds session_lifetime{std::chrono::hours{1}};
};

// Client certificates (mTLS) asked for by a listener.
struct ClientCertificates {
  enum class Mode : std::uint8_t { kOff, kOptional, kRequired };
  Mode mode = Mode::kOff;
  std::string ca;   // PEM bundle of the CAs client certificates must chain to
  std::string crl;  // PEM CRLs checked for the leaf and the chain; empty: none
  int verify_depth = 3;
  // Headers that carry the verified client's identity upstream (lower case; empty: not sent).
  // Copies of them a client sends itself are always removed.
  std::string subject_header = "x-client-cert-subject";
  std::string sans_header = "x-client-cert-san";                 // comma-separated
  std::string fingerprint_header = "x-client-cert-fingerprint";  // SHA-256, lower-case hex
};

struct Hsts {
  std::chrono::seconds max_age{std::chrono::hours{24 * 365}};
  bool include_subdomains = false;
  bool preload = false;
};

// A listener's `tls:` block.
struct ListenerTls {
  std::vector<TlsCertificate> certificates;  // at least one
  TlsPolicy policy;
  TlsResumption resumption;
  ClientCertificates client_certificates;
  std::optional<Hsts> hsts;  // Strict-Transport-Security on every response
  SourceMark mark;
};

// A cluster's `tls:` block: its backends speak TLS.
struct UpstreamTls {
  bool verify = true;       // the backend's chain and name are checked; off only for tests
  std::string ca;           // PEM bundle; empty: the system's trusted CAs
  std::string server_name;  // SNI and the name checked; empty: the endpoint's host as configured
  std::string cert;         // a client certificate to present; empty: none
  std::string key;
  Passphrase passphrase;
  TlsPolicy policy;
  bool session_reuse = true;  // resume sessions across pooled connections to an endpoint
  SourceMark mark;
};

}  // namespace bulwark::config
