#pragma once
// A throw-away PKI for the TLS unit tests, made in-process with OpenSSL in a temporary directory:
// a root CA, an intermediate CA and whatever leaves a test asks for (server or client, ECDSA or
// RSA, any validity window, encrypted keys), CRLs and OCSP responses, plus a helper that drives a
// client and a server SSL through a handshake in memory.

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls::testing {

enum class KeyType : std::uint8_t { kEcdsa, kRsa };  // P-256 or RSA 2048

// One certificate the PKI issued. Owned by the Pki; references stay valid for its lifetime.
struct Issued {
  std::string cert;   // PEM file: the certificate alone
  std::string key;    // PEM file: its private key (encrypted when a passphrase was given)
  std::string chain;  // PEM file: the certificate, then the intermediate when that issued it
  X509Ptr x509;
  EvpPkeyPtr pkey;
  const Issued* issuer = nullptr;  // nullptr for the root
};

struct IssueOptions {
  std::vector<std::string> names;  // DNS SANs; the first is also the CN unless `subject` has one
  KeyType key = KeyType::kEcdsa;
  std::chrono::system_clock::time_point not_before =
      std::chrono::system_clock::now() - std::chrono::hours{1};
  std::chrono::system_clock::time_point not_after =
      std::chrono::system_clock::now() + std::chrono::hours{24 * 30};
  const Issued* ca = nullptr;  // the issuer; nullptr: the intermediate
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", "alice"}, {"O", "Example"}
  std::vector<std::string> emails;                           // email SANs
  std::vector<std::string> uris;                             // URI SANs
  bool is_ca = false;
  bool client = false;     // extended key usage clientAuth instead of serverAuth
  std::string passphrase;  // non-empty: the key file is encrypted (AES-256-CBC) with it
};

class Pki {
 public:
  // The PKI of this test binary, made at first use; its directory is removed at exit.
  static Pki& shared();

  Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;
  ~Pki();

  [[nodiscard]] const Issued& root() const { return certificates_[0]; }
  [[nodiscard]] const Issued& intermediate() const { return certificates_[1]; }
  // Issues a certificate and writes its files. RSA leaves share one key (generating RSA keys is
  // slow); every ECDSA certificate has its own.
  const Issued& issue(const IssueOptions& options);

  // A file holding one CRL per CA (root and intermediate), each revoking those of `revoked` it
  // issued, so that checking the whole chain finds a CRL for every link.
  std::string crl_file(const std::vector<const Issued*>& revoked);
  // A DER OCSP response saying `leaf` is good, signed by its issuer, written to `name` (in the
  // PKI's directory, replacing the file); `next_update_hours` makes two responses differ.
  std::string ocsp_response(const Issued& leaf, const std::string& name,
                            int next_update_hours = 24);
  // Writes `content` to `name` in the PKI's directory and returns its path.
  std::string write(const std::string& name, std::string_view content);
  [[nodiscard]] std::string path(const std::string& name) const { return directory_ + "/" + name; }

 private:
  EvpPkeyPtr make_key(KeyType type);

  std::string directory_;
  std::deque<Issued> certificates_;
  EvpPkeyPtr rsa_key_;  // made at the first RSA certificate
  long serial_ = 1;
};

// A bare server context serving `leaf` (with its chain), for tests of what goes on top of it.
SslCtxPtr server_context(const Issued& leaf);

// A client context trusting the PKI's root and verifying the server's certificate (not its name).
SslCtxPtr client_context();
// A client SSL of `context` asking for `server_name` (none when empty).
SslPtr client_ssl(SSL_CTX* context, const std::string& server_name = {});

// Makes `client` present `certificate` (and the intermediate that issued it) when asked.
void present(SSL* client, const Issued& certificate);

// Connects `client` and `server` through a memory BIO pair and runs both handshakes to the end
// (and lets the client read the server's session tickets). True when both completed.
bool handshake(SSL* client, SSL* server);

// The first DNS name (else the CN) of the certificate the server presented to `client`.
std::string served_name(SSL* client);

}  // namespace bulwark::net::tls::testing
