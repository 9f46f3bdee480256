#pragma once
// The query of a request target read as servers read it (application/x-www-form-urlencoded):
// '&' separates parameters, the first '=' splits a name from its value, "%XX" and '+' decode.
// Routing compares decoded names and values, so `?q=a%20b` and `?q=a+b` both have q = "a b".
// Nothing here allocates: parameters are views into the target, decoding writes to the caller's
// buffer or compares on the fly. Client input: fuzzed by fuzz/query_string_fuzz.cpp.

#include <cstddef>
#include <string_view>

namespace bulwark::router {

struct QueryParam {
  std::string_view name;   // still encoded
  std::string_view value;  // still encoded; empty for "?flag" as for "?flag="
};

// Walks the parameters of a query (the part after '?', without it). Empty pieces ("a&&b") are
// skipped.
class QueryParams {
 public:
  explicit QueryParams(std::string_view query) noexcept : rest_(query) {}

  // The next parameter; false at the end.
  bool next(QueryParam& out) noexcept;

 private:
  std::string_view rest_;
};

// Decodes `encoded` into `out`, which has room for encoded.size() bytes (decoding never grows
// the text); returns the decoded length. A '%' without two hex digits after it stays as it is.
std::size_t percent_decode(std::string_view encoded, char* out) noexcept;

// Whether `encoded` decodes to exactly `plain`, without a buffer.
bool decodes_to(std::string_view encoded, std::string_view plain) noexcept;

}  // namespace bulwark::router
