#include "net/tls/client_identity.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <string_view>

namespace bulwark::net::tls {
namespace {

constexpr std::string_view kHexUpper = "0123456789ABCDEF";
constexpr std::string_view kHexLower = "0123456789abcdef";

// Appends `text` with every byte that is not printable ASCII, and every byte of `also`, as "\XX".
void append_escaped(std::string& out, std::string_view text, std::string_view also = {}) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && also.find(c) == std::string_view::npos) {
      out += c;
    } else {
      out += '\\';
      out += kHexUpper[byte >> 4];
      out += kHexUpper[byte & 0xf];
    }
  }
}

std::string subject_of(X509* certificate) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) return {};
  // XN_FLAG_RFC2253 already escapes controls and non-ASCII bytes; escaping its output again only
  // matters should a future flag or OpenSSL version let one through.
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253) < 0)
    return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  std::string subject;
  if (size > 0) append_escaped(subject, std::string_view(data, static_cast<std::size_t>(size)));
  return subject;
}

std::string_view view_of(const ASN1_STRING* text) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
          static_cast<std::size_t>(ASN1_STRING_length(text))};
}

// An iPAddress SAN as text; empty when its length is neither IPv4's nor IPv6's.
std::string ip_text(const ASN1_OCTET_STRING* address) {
  const int family = ASN1_STRING_length(address) == 4    ? AF_INET
                     : ASN1_STRING_length(address) == 16 ? AF_INET6
                                                         : AF_UNSPEC;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (family == AF_UNSPEC ||
      inet_ntop(family, ASN1_STRING_get0_data(address), text.data(), text.size()) == nullptr)
    return {};
  return text.data();
}

std::string sans_of(X509* certificate) {
  using Names = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
  const Names names(static_cast<GENERAL_NAMES*>(
                        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)),
                    &GENERAL_NAMES_free);
  std::string sans;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    std::string_view type;
    std::string value;
    switch (name->type) {
      case GEN_DNS:
        type = "DNS:";
        value = view_of(name->d.dNSName);
        break;
      case GEN_EMAIL:
        type = "email:";
        value = view_of(name->d.rfc822Name);
        break;
      case GEN_URI:
        type = "URI:";
        value = view_of(name->d.uniformResourceIdentifier);
        break;
      case GEN_IPADD:
        type = "IP:";
        value = ip_text(name->d.iPAddress);
        if (value.empty()) continue;
        break;
      default:
        continue;
    }
    if (!sans.empty()) sans += ',';
    sans += type;
    append_escaped(sans, value, ",\\");
  }
  return sans;
}

std::string fingerprint_of(X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &size) != 1) return {};
  std::string hex;
  hex.reserve(2 * std::size_t{size});
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHexLower[digest[i] >> 4];
    hex += kHexLower[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

ClientIdentity client_identity_of(X509* certificate) {
  return {.subject = subject_of(certificate),
          .sans = sans_of(certificate),
          .fingerprint = fingerprint_of(certificate)};
}

std::optional<ClientIdentity> verified_client_identity(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  return client_identity_of(certificate);
}

}  // namespace bulwark::net::tls
