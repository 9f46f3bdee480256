// libFuzzer target for the query-string reader the router matches query conditions with
// (src/router/query_string.h). Besides memory and UB errors (ASan, UBSan) it checks that:
//  - every parameter's name and value are views into the query, in order, without '&',
//  - decoding never grows the text,
//  - the two decoders agree: decodes_to(x, percent_decode(x)) holds, and fails for any other
//    text of the same or one more or one fewer byte.
//
// Input: the query, as after the '?'.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "router/query_string.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark::router;

void check_decoders(std::string_view encoded) {
  std::string decoded(encoded.size(), '\0');
  const std::size_t size = percent_decode(encoded, decoded.data());
  check(size <= encoded.size(), "decoding does not grow the text");
  decoded.resize(size);
  check(decodes_to(encoded, decoded), "decodes_to accepts the decoded text");
  check(!decodes_to(encoded, decoded + "x"), "decodes_to refuses a longer text");
  if (!decoded.empty()) {
    check(!decodes_to(encoded, std::string_view(decoded).substr(0, size - 1)),
          "decodes_to refuses a shorter text");
    std::string changed = decoded;
    changed.back() = static_cast<char>(changed.back() ^ 1);
    check(!decodes_to(encoded, changed), "decodes_to refuses a different text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  QueryParams params(query);
  const char* previous_end = query.data();
  for (QueryParam param; params.next(param);) {
    check(inside(param.name, query) && inside(param.value, query), "views into the query");
    check(param.name.find('&') == std::string_view::npos &&
              param.value.find('&') == std::string_view::npos,
          "'&' separates parameters");
    check(param.name.find('=') == std::string_view::npos, "the first '=' ends the name");
    check(param.name.empty() || param.name.data() >= previous_end, "parameters come in order");
    previous_end = param.value.empty() ? param.name.data() + param.name.size()
                                       : param.value.data() + param.value.size();
    check_decoders(param.name);
    check_decoders(param.value);
  }
  check_decoders(query);
  return 0;
}
