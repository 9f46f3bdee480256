// libFuzzer target for the Vary secondary key (src/cache/policy/vary.h), which normalises request
// fields a client controls. Besides memory and UB errors (ASan, UBSan) it checks that:
//  - a key exists unless the Vary fields name "*",
//  - fields the Vary does not name never change the key,
//  - a value split at a comma into two field lines gives the same key (when it has no quotes),
//  - Accept-Encoding's key ignores the case of the codings,
//  - an absent field, an empty one and this value give different keys unless this value is
//    empty after normalisation (then it is the empty one's).
//
// Input: one byte choosing the field (Accept-Encoding or Accept-Language), then its value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cache/policy/vary.h"
#include "fuzz_check.h"

namespace {

using bulwark::fuzz::check;
using bulwark::http::HeaderMap;
using namespace bulwark::cache::policy;

std::optional<std::string> key_of(std::string_view fields, std::string_view name,
                                  std::string_view first, std::string_view second = {},
                                  bool two_lines = false) {
  HeaderMap request;
  request.add(name, first);
  if (two_lines) request.add(name, second);
  return secondary_key(fields, request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view name = (data[0] & 1) != 0 ? "accept-encoding" : "accept-language";
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);

  HeaderMap response;
  response.add("vary", value);
  const std::string fields = vary_fields(response);
  HeaderMap star;
  star.add("vary", "*");
  if (value.find('"') == std::string_view::npos) {
    bool star_named = false;
    std::string_view rest = fields;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      star_named = star_named || bulwark::http::trim_ows(rest.substr(0, comma)) == "*";
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    check(secondary_key(fields, HeaderMap{}).has_value() != star_named,
          "a key unless Vary names *");
  }
  check(!secondary_key(vary_fields(star), HeaderMap{}).has_value(), "Vary: * never matches");

  const std::optional<std::string> key = key_of(name, name, value);
  check(key.has_value(), "a key for a named field");
  HeaderMap with_other;
  with_other.add("x-other", value);
  with_other.add(name, value);
  check(secondary_key(name, with_other) == key, "other fields do not change the key");

  if (value.find('"') == std::string_view::npos) {
    for (std::size_t comma = value.find(','); comma != std::string_view::npos;
         comma = value.find(',', comma + 1)) {
      check(key_of(name, name, value.substr(0, comma), value.substr(comma + 1), true) == key,
            "field lines combine as one list");
    }
  }
  if (name == "accept-encoding") {
    std::string upper(value);
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
    }
    check(key_of(name, name, upper) == key, "codings are case-insensitive");
  }

  const std::optional<std::string> absent = secondary_key(name, HeaderMap{});
  const std::optional<std::string> empty = key_of(name, name, "");
  check(absent != empty, "absent and empty differ");
  check(key != absent, "a present field differs from an absent one");
  return 0;
}
