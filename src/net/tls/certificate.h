#pragma once
// Loading a certificate chain and its private key from PEM files, with the checks that turn a
// bad file into a message naming it and the reason, at load time rather than at a handshake.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/tls.h"
#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls {

struct CertificateChain {
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;  // as they follow the leaf in the file
  EvpPkeyPtr key;
  std::vector<std::string> names;  // the leaf's DNS SANs (or its CN when it has none), lower case
};

// Reads `cert_file` (the leaf, then intermediates) and `key_file` (decrypted with the passphrase
// when it is encrypted). nullopt with `error` = "FILE: reason", the reasons being: cannot be read
// (and errno's text), holds no PEM certificate / private key, expired on DATE, not valid before
// DATE, the key does not match the certificate, the key is encrypted and no passphrase is
// configured, the passphrase is wrong. `now` is for tests.
std::optional<CertificateChain> load_certificate_chain(
    const std::string& cert_file, const std::string& key_file, const config::Passphrase& passphrase,
    std::string& error,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Reads a PEM bundle of CA certificates into a new X509_STORE (with the CRLs of `crl_file` when
// given, checked for the whole chain). nullptr with `error` = "FILE: reason".
X509_STORE* load_ca_store(const std::string& ca_file, const std::string& crl_file,
                          std::string& error);

}  // namespace bulwark::net::tls
