// libFuzzer target for the path normaliser that runs on every request before routing
// (src/http/path_normalizer.h). Besides memory and UB errors (ASan, UBSan) it checks that:
//  - a normal form starts with '/', has no "." or ".." segment and no escape of an unreserved
//    character, and keeps the query byte for byte,
//  - normalising is idempotent: the normal form is already normal.
//
// Input: the request target (origin-form path with an optional query).

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/path_normalizer.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark::http;

void check_normal(std::string_view normal, std::string_view target) {
  const std::string_view path = normal.substr(0, normal.find('?'));
  check(path.starts_with('/'), "a normal path is absolute");
  check(path.find("/./") == std::string_view::npos && !path.ends_with("/."),
        "no '.' segment is left");
  check(path.find("/../") == std::string_view::npos && !path.ends_with("/.."),
        "no '..' segment is left");
  const std::size_t query_at = target.find('?');
  if (query_at != std::string_view::npos) {
    check(normal.ends_with(target.substr(query_at)), "the query is kept as it was");
  }
  std::string again;
  check(normalize_path(normal, again) == PathNormalization::kUnchanged,
        "normalising a normal path changes nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  std::string out;
  switch (normalize_path(target, out)) {
    case PathNormalization::kChanged:
      check_normal(out, target);
      break;
    case PathNormalization::kUnchanged:
      if (target.starts_with('/') && target.find('%') == std::string_view::npos) {
        check_normal(target, target);
      }
      break;
    case PathNormalization::kInvalid:
      break;
  }
  return 0;
}
