#pragma once
// Kernel TLS: whether this kernel can take over TLS record encryption (the "tls" module), so that
// OpenSSL can send large responses with sendfile. Checked once at start; the log says the result.

#include <string>

namespace bulwark::net::tls {

struct KernelTls {
  bool available = false;
  std::string reason;  // why not, or what is in use
};

// Needs both the kernel's "tls" upper-layer protocol (listed in
// /proc/sys/net/ipv4/tcp_available_ulp, or the module present in /sys/module/tls) and an OpenSSL
// built with kTLS.
KernelTls detect_kernel_tls();

// The same, reading the two kernel paths given (for tests).
KernelTls detect_kernel_tls(const std::string& available_ulp_file,
                            const std::string& module_directory);

}  // namespace bulwark::net::tls
