#pragma once
// Invariant checks shared by the fuzz targets: a failed check aborts, which libFuzzer reports
// as a crash with the input that caused it.

#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string_view>

namespace bulwark::fuzz {

inline void check(bool ok, const char* what,
                  std::source_location at = std::source_location::current()) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s (line %u)\n", what, static_cast<unsigned>(at.line()));
  std::abort();
}

// True when `part` is a view into `whole` (or empty).
inline bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace bulwark::fuzz
