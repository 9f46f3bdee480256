#include "test_pki.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace bulwark::net::tls::testing {
namespace {

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpenSslDeleter<ASN1_TIME_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, OpenSslDeleter<OCSP_BASICRESP_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OpenSslDeleter<OCSP_RESPONSE_free>>;

// The fixture cannot go on without what OpenSSL refused; GoogleTest reports the exception.
void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + take_openssl_errors());
}

std::string pem_of(X509* certificate) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  require(PEM_write_bio_X509(bio.get(), certificate) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string pem_of(EVP_PKEY* key, const std::string& passphrase) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): OpenSSL only reads the passphrase.
  auto* pass = reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
  require(PEM_write_bio_PrivateKey(bio.get(), key, cipher, passphrase.empty() ? nullptr : pass,
                                   static_cast<int>(passphrase.size()), nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  const X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  require(extension != nullptr, "X509V3_EXT_conf_nid");
  require(X509_add_ext(certificate, extension.get(), -1) == 1, "X509_add_ext");
}

std::string join_sans(const IssueOptions& options) {
  std::string sans;
  const auto add = [&sans](const char* kind, const std::string& value) {
    if (!sans.empty()) sans += ',';
    sans += kind;
    sans += value;
  };
  for (const std::string& name : options.names)
    add("DNS:", name);
  for (const std::string& email : options.emails)
    add("email:", email);
  for (const std::string& uri : options.uris)
    add("URI:", uri);
  return sans;
}

std::time_t to_time_t(std::chrono::system_clock::time_point when) {
  return std::chrono::system_clock::to_time_t(when);
}

}  // namespace

Pki& Pki::shared() {
  static Pki pki;
  return pki;
}

Pki::Pki() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bulwark-pki-XXXXXX").string();
  require(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  directory_ = pattern;
  // The root signs itself: issue() treats the first certificate as its own issuer.
  issue({.names = {}, .subject = {{"CN", "Bulwark Test Root CA"}}, .is_ca = true});
  issue({.names = {},
         .ca = &certificates_[0],
         .subject = {{"CN", "Bulwark Test Intermediate CA"}},
         .is_ca = true});
}

Pki::~Pki() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

EvpPkeyPtr Pki::make_key(KeyType type) {
  if (type == KeyType::kEcdsa) {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EVP_EC_gen");
    return key;
  }
  if (rsa_key_ == nullptr) {
    rsa_key_.reset(EVP_RSA_gen(2048));
    require(rsa_key_ != nullptr, "EVP_RSA_gen");
  }
  require(EVP_PKEY_up_ref(rsa_key_.get()) == 1, "EVP_PKEY_up_ref");
  return EvpPkeyPtr(rsa_key_.get());
}

const Issued& Pki::issue(const IssueOptions& options) {
  const bool self_signed = certificates_.empty();
  const Issued* issuer =
      self_signed ? nullptr : (options.ca != nullptr ? options.ca : &intermediate());
  Issued issued;
  issued.pkey = make_key(options.key);
  issued.x509.reset(X509_new());
  issued.issuer = issuer;
  X509* certificate = issued.x509.get();
  require(X509_set_version(certificate, 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial_++);
  require(ASN1_TIME_set(X509_getm_notBefore(certificate), to_time_t(options.not_before)) != nullptr,
          "notBefore");
  require(ASN1_TIME_set(X509_getm_notAfter(certificate), to_time_t(options.not_after)) != nullptr,
          "notAfter");
  X509_NAME* subject = X509_get_subject_name(certificate);
  bool has_cn = false;
  for (const auto& [field, value] : options.subject) {
    has_cn = has_cn || field == "CN";
    require(X509_NAME_add_entry_by_txt(subject, field.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                       -1, 0) == 1,
            "X509_NAME_add_entry_by_txt");
  }
  if (!has_cn && !options.names.empty()) {
    require(
        X509_NAME_add_entry_by_txt(
            subject, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(options.names.front().c_str()), -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
  }
  X509* issuer_x509 = self_signed ? certificate : issuer->x509.get();
  EVP_PKEY* issuer_key = self_signed ? issued.pkey.get() : issuer->pkey.get();
  require(X509_set_issuer_name(certificate, X509_get_subject_name(issuer_x509)) == 1,
          "X509_set_issuer_name");
  require(X509_set_pubkey(certificate, issued.pkey.get()) == 1, "X509_set_pubkey");
  add_extension(certificate, issuer_x509, NID_subject_key_identifier, "hash");
  add_extension(certificate, issuer_x509, NID_authority_key_identifier, "keyid:always");
  if (options.is_ca) {
    add_extension(certificate, issuer_x509, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(certificate, issuer_x509, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(certificate, issuer_x509, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate, issuer_x509, NID_key_usage,
                  options.key == KeyType::kRsa ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature");
    add_extension(certificate, issuer_x509, NID_ext_key_usage,
                  options.client ? "clientAuth" : "serverAuth");
  }
  if (const std::string sans = join_sans(options); !sans.empty()) {
    add_extension(certificate, issuer_x509, NID_subject_alt_name, sans);
  }
  require(X509_sign(certificate, issuer_key, EVP_sha256()) > 0, "X509_sign");

  const std::string stem = "cert" + std::to_string(serial_ - 1);
  const std::string pem = pem_of(certificate);
  issued.cert = write(stem + ".pem", pem);
  issued.key = write(stem + ".key", pem_of(issued.pkey.get(), options.passphrase));
  const bool by_intermediate = certificates_.size() > 1 && issuer == &intermediate();
  issued.chain =
      write(stem + ".chain.pem", by_intermediate ? pem + pem_of(intermediate().x509.get()) : pem);
  return certificates_.emplace_back(std::move(issued));
}

std::string Pki::crl_file(const std::vector<const Issued*>& revoked) {
  std::string pem;
  const Asn1TimePtr last_update(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -3600));
  const Asn1TimePtr next_update(ASN1_TIME_adj(nullptr, std::time(nullptr), 1, 0));
  for (const Issued* ca : {&root(), &intermediate()}) {
    const X509CrlPtr crl(X509_CRL_new());
    require(X509_CRL_set_version(crl.get(), 1) == 1, "X509_CRL_set_version");
    require(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca->x509.get())) == 1,
            "X509_CRL_set_issuer_name");
    require(X509_CRL_set1_lastUpdate(crl.get(), last_update.get()) == 1, "lastUpdate");
    require(X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) == 1, "nextUpdate");
    for (const Issued* certificate : revoked) {
      if (certificate->issuer != ca) continue;
      X509_REVOKED* entry = X509_REVOKED_new();
      require(X509_REVOKED_set_serialNumber(entry,
                                            X509_get_serialNumber(certificate->x509.get())) == 1 &&
                  X509_REVOKED_set_revocationDate(entry, last_update.get()) == 1 &&
                  X509_CRL_add0_revoked(crl.get(), entry) == 1,
              "X509_CRL_add0_revoked");
    }
    require(X509_CRL_sort(crl.get()) == 1, "X509_CRL_sort");
    require(X509_CRL_sign(crl.get(), ca->pkey.get(), EVP_sha256()) > 0, "X509_CRL_sign");
    const BioPtr bio(BIO_new(BIO_s_mem()));
    require(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1, "PEM_write_bio_X509_CRL");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    pem.append(data, static_cast<std::size_t>(size));
  }
  return write("crl" + std::to_string(serial_++) + ".pem", pem);
}

std::string Pki::ocsp_response(const Issued& leaf, const std::string& name, int next_update_hours) {
  const OcspBasicPtr basic(OCSP_BASICRESP_new());
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf.x509.get(), leaf.issuer->x509.get());
  require(id != nullptr, "OCSP_cert_to_id");
  const Asn1TimePtr this_update(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -60));
  const Asn1TimePtr next_update(
      ASN1_TIME_adj(nullptr, std::time(nullptr), 0, static_cast<long>(next_update_hours) * 3600));
  const bool added = OCSP_basic_add1_status(basic.get(), id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr,
                                            this_update.get(), next_update.get()) != nullptr;
  OCSP_CERTID_free(id);
  require(added, "OCSP_basic_add1_status");
  require(OCSP_basic_sign(basic.get(), leaf.issuer->x509.get(), leaf.issuer->pkey.get(),
                          EVP_sha256(), nullptr, 0) == 1,
          "OCSP_basic_sign");
  const OcspResponsePtr response(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  require(response != nullptr, "OCSP_response_create");
  unsigned char* der = nullptr;
  const int size = i2d_OCSP_RESPONSE(response.get(), &der);
  require(size > 0, "i2d_OCSP_RESPONSE");
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return write(name, bytes);
}

std::string Pki::write(const std::string& name, std::string_view content) {
  const std::string file = path(name);
  // A new file, renamed over the old one: a reader sees the old or the new content.
  const std::string temporary = file + ".tmp";
  std::ofstream(temporary, std::ios::binary | std::ios::trunc)
      .write(content.data(), static_cast<std::streamsize>(content.size()));
  std::filesystem::rename(temporary, file);
  return file;
}

SslCtxPtr server_context(const Issued& leaf) {
  SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  require(context != nullptr, "SSL_CTX_new");
  STACK_OF(X509)* chain = sk_X509_new_null();
  if (leaf.issuer != nullptr && leaf.issuer->issuer != nullptr) {
    sk_X509_push(chain, leaf.issuer->x509.get());
  }
  const bool used =
      SSL_CTX_use_cert_and_key(context.get(), leaf.x509.get(), leaf.pkey.get(), chain, 1) == 1;
  sk_X509_free(chain);
  require(used, "SSL_CTX_use_cert_and_key");
  return context;
}

void present(SSL* client, const Issued& certificate) {
  require(SSL_use_certificate(client, certificate.x509.get()) == 1 &&
              SSL_use_PrivateKey(client, certificate.pkey.get()) == 1,
          "SSL_use_certificate");
  if (certificate.issuer != nullptr && certificate.issuer->issuer != nullptr) {
    require(SSL_add1_chain_cert(client, certificate.issuer->x509.get()) == 1,
            "SSL_add1_chain_cert");
  }
}

SslCtxPtr client_context() {
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  require(context != nullptr, "SSL_CTX_new");
  X509_STORE* store = SSL_CTX_get_cert_store(context.get());
  require(X509_STORE_add_cert(store, Pki::shared().root().x509.get()) == 1, "X509_STORE_add_cert");
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  return context;
}

SslPtr client_ssl(SSL_CTX* context, const std::string& server_name) {
  SslPtr ssl(SSL_new(context));
  require(ssl != nullptr, "SSL_new");
  if (!server_name.empty()) {
    require(SSL_set_tlsext_host_name(ssl.get(), server_name.c_str()) == 1,
            "SSL_set_tlsext_host_name");
  }
  return ssl;
}

bool handshake(SSL* client, SSL* server) {
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  require(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) == 1, "BIO_new_bio_pair");
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  const auto step = [](SSL* ssl, bool& done) {
    if (done) return true;
    const int result = SSL_do_handshake(ssl);
    if (result == 1) {
      done = true;
      return true;
    }
    const int error = SSL_get_error(ssl, result);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
  };
  bool client_done = false;
  bool server_done = false;
  // A handshake is a few flights; a bound keeps a broken one from spinning.
  for (int round = 0; round < 32 && !(client_done && server_done); ++round) {
    if (!step(client, client_done) || !step(server, server_done)) {
      ERR_clear_error();
      return false;
    }
  }
  if (!(client_done && server_done)) return false;
  // TLS 1.3 tickets follow the handshake; a read that finds no data processes them.
  std::array<char, 1> byte{};
  SSL_read(client, byte.data(), 1);
  ERR_clear_error();
  return true;
}

std::string served_name(SSL* client) {
  const X509Ptr certificate(SSL_get1_peer_certificate(client));
  if (certificate == nullptr) return {};
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr));
  std::string name;
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans) && name.empty(); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(sans, i);
    if (entry->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = entry->d.dNSName;
    name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  GENERAL_NAMES_free(sans);
  if (name.empty()) {
    std::array<char, 256> cn{};
    X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName, cn.data(),
                              static_cast<int>(cn.size()));
    name = cn.data();
  }
  return name;
}

}  // namespace bulwark::net::tls::testing
