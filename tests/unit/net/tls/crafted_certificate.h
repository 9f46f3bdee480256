#pragma once
// Certificates with what the test PKI does not issue (IP address SANs, any bytes in a subject or
// a name), signed by one of its CAs, for the client context and client identity tests.

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls::testing {

struct Crafted {
  X509Ptr x509;
  EvpPkeyPtr pkey;
};

struct CraftOptions {
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN", "alice"}, any bytes
  // {GEN_DNS, "a.example"}, {GEN_EMAIL, ...}, {GEN_URI, ...}, {GEN_IPADD, 4 or 16 raw bytes}
  std::vector<std::pair<int, std::string>> sans;
};

// A leaf for `options`, with a new P-256 key, valid from an hour ago for a day, signed by
// `issuer` with `issuer_key`.
inline Crafted craft_certificate(X509* issuer, EVP_PKEY* issuer_key, const CraftOptions& options) {
  Crafted crafted{.x509 = X509Ptr(X509_new()), .pkey = EvpPkeyPtr(EVP_EC_gen("P-256"))};
  X509* x509 = crafted.x509.get();
  static long serial = 1000;
  X509_set_version(x509, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509), 24 * 3600);
  X509_set_pubkey(x509, crafted.pkey.get());
  X509_set_issuer_name(x509, X509_get_subject_name(issuer));
  X509_NAME* subject = X509_get_subject_name(x509);
  for (const auto& [field, value] : options.subject) {
    X509_NAME_add_entry_by_txt(subject, field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, 0);
  }
  if (!options.sans.empty()) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    for (const auto& [type, value] : options.sans) {
      GENERAL_NAME* name = GENERAL_NAME_new();
      ASN1_STRING* text =
          ASN1_STRING_type_new(type == GEN_IPADD ? V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()));
      GENERAL_NAME_set0_value(name, type, text);
      sk_GENERAL_NAME_push(names, name);
    }
    X509_add1_ext_i2d(x509, NID_subject_alt_name, names, 0, 0);
    GENERAL_NAMES_free(names);
  }
  X509_sign(x509, issuer_key, EVP_sha256());
  return crafted;
}

}  // namespace bulwark::net::tls::testing
