#include "net/tls/certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

namespace bulwark::net::tls {
namespace {

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using FilePtr = std::unique_ptr<std::FILE, OpenSslDeleter<std::fclose>>;

// The whole of `path`, or nullopt with `error` = "PATH: cannot be read (errno's text)".
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  const FilePtr file(std::fopen(path.c_str(), "rb"));
  std::string content;
  if (file != nullptr) {
    std::array<char, 16384> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
      content.append(buffer.data(), got);
    }
    if (std::ferror(file.get()) == 0) return content;
  }
  error = path + ": cannot be read (" + std::strerror(errno) + ")";
  return std::nullopt;
}

BioPtr memory_bio(const std::string& content) {
  return BioPtr(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
}

// "2025-01-31 12:00:00 UTC"
std::string format_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "an unreadable date";
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text.data();
}

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return text;
}

std::vector<std::string> names_of(X509* leaf) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(sans, i);
    if (entry->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = entry->d.dNSName;
    names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                      static_cast<std::size_t>(ASN1_STRING_length(dns)))));
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) {
    const X509_NAME* subject = X509_get_subject_name(leaf);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
      names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                        static_cast<std::size_t>(ASN1_STRING_length(cn)))));
    }
  }
  return names;
}

// The passphrase `source` names, nullopt (with `error`) when it cannot be had, "" when none is
// configured.
std::optional<std::string> passphrase_of(const config::Passphrase& source,
                                         const std::string& key_file, std::string& error) {
  if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());  // NOLINT(concurrency-mt-unsafe): at load
    if (value == nullptr) {
      error = key_file + ": the passphrase variable " + source.env + " is not set";
      return std::nullopt;
    }
    return std::string(value);
  }
  if (!source.file.empty()) {
    std::optional<std::string> content = read_file(source.file, error);
    if (!content) return std::nullopt;
    std::string line = content->substr(0, content->find('\n'));
    if (line.ends_with('\r')) line.pop_back();
    return line;
  }
  return std::string();
}

struct PassphraseRequest {
  const std::string* passphrase = nullptr;
  bool asked = false;
};

int passphrase_callback(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  const std::string& passphrase = *request->passphrase;
  if (passphrase.empty() || passphrase.size() > static_cast<std::size_t>(size)) return -1;
  std::ranges::copy(passphrase, buffer);
  return static_cast<int>(passphrase.size());
}

}  // namespace

std::optional<CertificateChain> load_certificate_chain(const std::string& cert_file,
                                                       const std::string& key_file,
                                                       const config::Passphrase& passphrase,
                                                       std::string& error,
                                                       std::chrono::system_clock::time_point now) {
  const std::optional<std::string> cert_pem = read_file(cert_file, error);
  if (!cert_pem) return std::nullopt;
  CertificateChain chain;
  const BioPtr certs = memory_bio(*cert_pem);
  chain.leaf.reset(PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr));
  if (chain.leaf == nullptr) {
    ERR_clear_error();
    error = cert_file + ": holds no PEM certificate";
    return std::nullopt;
  }
  while (X509* intermediate = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    chain.intermediates.emplace_back(intermediate);
  }
  ERR_clear_error();  // the end of the file reads as "no start line"

  std::time_t when = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notAfter(chain.leaf.get()), &when) < 0) {
    error = cert_file + ": expired on " + format_time(X509_get0_notAfter(chain.leaf.get()));
    return std::nullopt;
  }
  if (X509_cmp_time(X509_get0_notBefore(chain.leaf.get()), &when) > 0) {
    error = cert_file + ": not valid before " + format_time(X509_get0_notBefore(chain.leaf.get()));
    return std::nullopt;
  }

  const std::optional<std::string> key_pem = read_file(key_file, error);
  if (!key_pem) return std::nullopt;
  const std::optional<std::string> secret = passphrase_of(passphrase, key_file, error);
  if (!secret) return std::nullopt;
  PassphraseRequest request{.passphrase = &*secret};
  const BioPtr key = memory_bio(*key_pem);
  chain.key.reset(PEM_read_bio_PrivateKey(key.get(), nullptr, passphrase_callback, &request));
  ERR_clear_error();
  if (chain.key == nullptr) {
    if (!request.asked) {
      error = key_file + ": holds no PEM private key";
    } else if (secret->empty()) {
      error = key_file + ": the key is encrypted and no passphrase is configured";
    } else {
      error = key_file + ": the passphrase is wrong";
    }
    return std::nullopt;
  }
  if (X509_check_private_key(chain.leaf.get(), chain.key.get()) != 1) {
    ERR_clear_error();
    error = key_file + ": the key does not match the certificate " + cert_file;
    return std::nullopt;
  }
  chain.names = names_of(chain.leaf.get());
  return chain;
}

X509_STORE* load_ca_store(const std::string& ca_file, const std::string& crl_file,
                          std::string& error) {
  const std::optional<std::string> ca_pem = read_file(ca_file, error);
  if (!ca_pem) return nullptr;
  std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
  const BioPtr cas = memory_bio(*ca_pem);
  int count = 0;
  while (X509* ca = PEM_read_bio_X509(cas.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++count;
  }
  ERR_clear_error();
  if (count == 0) {
    error = ca_file + ": holds no PEM certificate";
    return nullptr;
  }
  if (crl_file.empty()) return store.release();

  const std::optional<std::string> crl_pem = read_file(crl_file, error);
  if (!crl_pem) return nullptr;
  const BioPtr crls = memory_bio(*crl_pem);
  count = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(crls.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_crl(store.get(), crl);
    X509_CRL_free(crl);
    ++count;
  }
  ERR_clear_error();
  if (count == 0) {
    error = crl_file + ": holds no PEM CRL";
    return nullptr;
  }
  X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return store.release();
}

}  // namespace bulwark::net::tls
