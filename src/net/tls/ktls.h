#pragma once
// Kernel TLS: whether this kernel can take over TLS record encryption (the "tls" module), so that
// OpenSSL can send large responses with sendfile. Checked once at start; the log says the result.

#include <string>

namespace bulwark::net::tls {

struct KernelTls {
  bool available = false;
  std::string reason;  // why not, or what is in use
};

KernelTls detect_kernel_tls();

}  // namespace bulwark::net::tls
