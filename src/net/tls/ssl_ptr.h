#pragma once
// Owning handles for OpenSSL objects, and the text of OpenSSL's error queue.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

namespace bulwark::net::tls {

template <auto Free>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* object) const noexcept {
    Free(object);
  }
};

using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpenSslDeleter<SSL_SESSION_free>>;

// Empties the calling thread's OpenSSL error queue into one line ("reason; reason"), or
// `fallback` when it was empty.
std::string take_openssl_errors(const char* fallback = "unknown error");

// The protocol ALPN chose in the handshake ("h2", "http/1.1"); empty when none was.
inline std::string_view selected_alpn(const SSL* ssl) noexcept {
  const unsigned char* name = nullptr;
  unsigned int size = 0;
  if (ssl != nullptr) SSL_get0_alpn_selected(ssl, &name, &size);
  return {reinterpret_cast<const char*>(name), size};
}

}  // namespace bulwark::net::tls
