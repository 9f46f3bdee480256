#include "net/tls/ssl_ptr.h"

#include <openssl/err.h>

#include <array>

namespace bulwark::net::tls {

std::string take_openssl_errors(const char* fallback) {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> reason{};
    ERR_error_string_n(code, reason.data(), reason.size());
    if (!text.empty()) text += "; ";
    text += reason.data();
  }
  return text.empty() ? fallback : text;
}

}  // namespace bulwark::net::tls
