// libFuzzer target for the Accept-Encoding reader (src/compress/content_coding.h). Besides memory
// and UB errors (ASan, UBSan) it checks that:
//  - the chosen coding is identity or one the server offers,
//  - a coding chosen among several is also chosen when the server offers it alone,
//  - the field split at any comma into several field lines reads the same,
//  - refusing identity in front never changes a chosen coding.
//
// Input: one byte choosing the server's preference (order and subset), then the field value.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compress/content_coding.h"
#include "fuzz_check.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark::compress;

std::vector<Coding> preference_of(std::uint8_t selector) {
  std::array<Coding, 3> all{Coding::kZstd, Coding::kBrotli, Coding::kGzip};
  for (int i = 0; i < selector % 6; ++i)
    std::ranges::next_permutation(all);
  const std::size_t count = 1 + (selector / 6) % 3;
  return {all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count)};
}

Coding choose(std::string_view field, const std::vector<Coding>& preference) {
  AcceptEncoding accept;
  accept.add(field);
  return accept.choose(preference);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<Coding> preference = preference_of(data[0]);
  const std::string_view field(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Coding chosen = choose(field, preference);
  check(chosen == Coding::kIdentity || std::ranges::find(preference, chosen) != preference.end(),
        "the chosen coding is offered");
  if (chosen != Coding::kIdentity) {
    check(choose(field, {chosen}) == chosen, "a chosen coding is chosen when offered alone");
    check(choose("identity;q=0, " + std::string(field), preference) == chosen,
          "refusing identity keeps the choice");
  }
  for (std::size_t comma = field.find(','); comma != std::string_view::npos;
       comma = field.find(',', comma + 1)) {
    AcceptEncoding split;
    split.add(field.substr(0, comma));
    split.add(field.substr(comma + 1));
    check(split.choose(preference) == chosen, "field lines read as one list");
  }
  return 0;
}
