// libFuzzer target for the ClientHello peek of TLS passthrough listeners. Besides memory and UB
// errors it checks that the verdict does not depend on how the bytes arrive (an error stays one,
// a server name found stays the same with more bytes behind it) and that a server name found is
// a lower-case host name.

#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "proxy/l4/sni_peek.h"

namespace {

using bulwark::fuzz::check;
using bulwark::proxy::peek_server_name;
using bulwark::proxy::SniPeek;

SniPeek peek(std::string_view bytes) {
  return peek_server_name({bytes.data(), bytes.size()});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const SniPeek whole = peek(input);
  if (whole.status == SniPeek::Status::kError) check(!whole.error.empty(), "errors say why");
  if (whole.status == SniPeek::Status::kDone) {
    check(whole.server_name.size() <= 255, "a server name is at most 255 bytes");
    for (const char c : whole.server_name) {
      check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_',
            "a server name is a lower-case host name");
    }
  }
  // Prefixes at a few split points (all of them would be quadratic in the record sizes).
  for (const std::size_t n : {size / 4, size / 2, size - size / 8, size ? size - 1 : 0}) {
    const SniPeek part = peek(input.substr(0, n));
    if (part.status == SniPeek::Status::kError) {
      check(whole.status == SniPeek::Status::kError, "an error stays an error");
    } else if (part.status == SniPeek::Status::kDone) {
      check(whole.status == SniPeek::Status::kDone && whole.server_name == part.server_name,
            "the same server name with more bytes behind it");
    }
  }
  return 0;
}
