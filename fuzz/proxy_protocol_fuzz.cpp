// libFuzzer target for the PROXY protocol parser (v1 and v2). Besides memory and UB errors it
// checks that:
//  - the verdict does not depend on how the bytes arrive: a prefix that is an error stays one, a
//    prefix that parsed parses the same way with more bytes behind it,
//  - a header never claims more bytes than it was given, nor more than the protocol allows,
//  - what was parsed, written again by bulwark's own writer, parses back to the same addresses.

#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "net/proxy_protocol.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark::net;

ProxyParse parse(std::string_view bytes) {
  return parse_proxy_header({bytes.data(), bytes.size()});
}

void check_round_trip(const ProxyHeader& header) {
  for (const ProxyHeaderVersion version : {ProxyHeaderVersion::kV1, ProxyHeaderVersion::kV2}) {
    ProxyHeaderBytes bytes{};
    const std::size_t size = write_proxy_header(version, header.source, header.destination, bytes);
    check(size > 0 && size <= bytes.size(), "the writer stays inside its buffer");
    const ProxyParse again = parse({bytes.data(), size});
    check(again.status == ProxyParse::Status::kDone, "a written header parses");
    check(again.consumed == size, "the whole written header is the header");
    check(!again.header.local, "a written header carries addresses");
    check(again.header.source.port() == header.source.port(), "round trip keeps the port");
    check(again.header.destination.port() == header.destination.port(),
          "round trip keeps the destination port");
    // Mixed families come back as IPv4-mapped IPv6; same families come back as they were.
    if (header.source.address().is_v4() == header.destination.address().is_v4()) {
      check(again.header.source == header.source, "round trip keeps the source");
      check(again.header.destination == header.destination, "round trip keeps the destination");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ProxyParse whole = parse(input);
  if (whole.status == ProxyParse::Status::kError) check(!whole.error.empty(), "errors say why");
  if (whole.status == ProxyParse::Status::kDone) {
    check(whole.consumed > 0 && whole.consumed <= input.size(), "consumed is inside the input");
    check(whole.consumed <= kProxyV2MaxBytes, "a header is never longer than allowed");
    if (!whole.header.local) check_round_trip(whole.header);
  }
  // Every prefix agrees with the whole (quadratic, so only for inputs of header size).
  if (input.size() > kProxyV2MaxBytes) return 0;
  for (std::size_t n = 0; n < input.size(); ++n) {
    const ProxyParse part = parse(input.substr(0, n));
    if (part.status == ProxyParse::Status::kError) {
      check(whole.status == ProxyParse::Status::kError, "an error stays an error");
    } else if (part.status == ProxyParse::Status::kDone) {
      check(whole.status == ProxyParse::Status::kDone && whole.consumed == part.consumed,
            "a header parses the same with more bytes behind it");
    }
  }
  return 0;
}
