#include "net/tls/ktls.h"

#include <openssl/crypto.h>
#include <openssl/opensslconf.h>

#include <filesystem>
#include <fstream>

namespace bulwark::net::tls {
namespace {

// Whether the whitespace-separated list of upper-layer protocols in `file` holds "tls".
bool ulp_listed(const std::string& file) {
  std::ifstream in(file);
  std::string name;
  while (in >> name) {
    if (name == "tls") return true;
  }
  return false;
}

}  // namespace

KernelTls detect_kernel_tls(const std::string& available_ulp_file,
                            const std::string& module_directory) {
  std::error_code error;
  if (!ulp_listed(available_ulp_file) && !std::filesystem::is_directory(module_directory, error)) {
    return {.available = false,
            .reason = "the kernel has no tls module (not in " + available_ulp_file + ", no " +
                      module_directory + ")"};
  }
  const std::string openssl = OpenSSL_version(OPENSSL_VERSION);
  // OPENSSL_NO_KTLS is how OpenSSL's headers say it was built without kTLS (BIO_get_ktls_send
  // then does not exist).
#ifdef OPENSSL_NO_KTLS
  return {.available = false,
          .reason = "the kernel has the tls module, but " + openssl + " was built without kTLS"};
#else
  return {.available = true, .reason = "the kernel's tls module, with " + openssl};
#endif
}

KernelTls detect_kernel_tls() {
  return detect_kernel_tls("/proc/sys/net/ipv4/tcp_available_ulp", "/sys/module/tls");
}

}  // namespace bulwark::net::tls
