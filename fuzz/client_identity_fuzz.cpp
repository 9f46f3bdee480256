// libFuzzer target for the identity of a client certificate sent upstream in headers
// (src/net/tls/client_identity.h, client_identity_of). Besides memory and UB errors (ASan,
// UBSan) it checks that:
//  - every field is printable ASCII: no CR, LF or other byte could split or forge a header,
//  - the SAN list splits on ',' into TYPE:VALUE names of the four types it keeps,
//  - the fingerprint is 64 lower-case hex digits.
//
// Input: a DER certificate (d2i_X509; most inputs are rejected there, the seeds are real ones).

#include <openssl/x509.h>

#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "net/tls/client_identity.h"
#include "net/tls/ssl_ptr.h"

namespace {

using bulwark::fuzz::check;

bool printable(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool known_san(std::string_view name) {
  for (const std::string_view type : {"DNS:", "email:", "URI:", "IP:"}) {
    if (name.starts_with(type)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const unsigned char* cursor = data;
  const bulwark::net::tls::X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(size)));
  if (!certificate) return 0;
  const bulwark::net::tls::ClientIdentity identity =
      bulwark::net::tls::client_identity_of(certificate.get());

  check(printable(identity.subject), "the subject is printable ASCII");
  check(printable(identity.sans), "the SANs are printable ASCII");
  const std::string_view sans = identity.sans;
  for (std::size_t start = 0; !sans.empty() && start <= sans.size();) {
    const std::size_t end = std::min(sans.find(',', start), sans.size());
    check(known_san(sans.substr(start, end - start)), "each SAN is DNS:, email:, URI: or IP:");
    start = end + 1;
  }
  check(identity.fingerprint.size() == 64 &&
            identity.fingerprint.find_first_not_of("0123456789abcdef") == std::string::npos,
        "the fingerprint is SHA-256 in lower-case hex");
  return 0;
}
