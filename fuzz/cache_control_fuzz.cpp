// libFuzzer target for the Cache-Control parser (src/cache/policy/cache_control.h). Besides
// memory and UB errors (ASan, UBSan) it checks that:
//  - the field lists of no-cache and private are views into the fields, and imply the directive,
//  - every delta-seconds value is within 0..kMaxDeltaSeconds, and a limited max-stale wins over
//    an unlimited one,
//  - directive names are case-insensitive: the input upper-cased gives the same directives,
//  - field lines are independent: one more line "no-store" sets no-store and changes nothing
//    else,
//  - Pragma: no-cache counts only for a request, and only without Cache-Control.
//
// Input: one byte of flags (bit 0: a request; bit 1: add "Pragma: no-cache"), then the
// Cache-Control value; each line feed in it starts another Cache-Control field line.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/policy/cache_control.h"
#include "fuzz_check.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark::cache::policy;

bool within_any(std::string_view part, const std::vector<std::string_view>& lines) {
  if (part.empty()) return true;
  for (const std::string_view line : lines) {
    if (inside(part, line)) return true;
  }
  return false;
}

bool in_range(const std::optional<Seconds>& value) {
  return !value || (*value >= 0 && *value <= kMaxDeltaSeconds);
}

// The directives, without the field lists (which keep the input's case).
bool same_directives(const CacheControl& a, const CacheControl& b) {
  return a.no_store == b.no_store && a.no_cache == b.no_cache &&
         a.no_cache_fields.empty() == b.no_cache_fields.empty() && a.is_private == b.is_private &&
         a.private_fields.empty() == b.private_fields.empty() && a.is_public == b.is_public &&
         a.must_revalidate == b.must_revalidate && a.proxy_revalidate == b.proxy_revalidate &&
         a.must_understand == b.must_understand && a.no_transform == b.no_transform &&
         a.immutable == b.immutable && a.max_age == b.max_age && a.s_maxage == b.s_maxage &&
         a.stale_while_revalidate == b.stale_while_revalidate &&
         a.stale_if_error == b.stale_if_error && a.invalid_freshness == b.invalid_freshness &&
         a.max_stale == b.max_stale && a.max_stale_any == b.max_stale_any &&
         a.min_fresh == b.min_fresh && a.only_if_cached == b.only_if_cached;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const std::size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) return lines;
    text.remove_prefix(newline + 1);
  }
}

bulwark::http::HeaderMap map_of(const std::vector<std::string_view>& lines, bool pragma) {
  bulwark::http::HeaderMap map;
  for (const std::string_view line : lines)
    map.add("cache-control", line);
  if (pragma) map.add("pragma", "no-cache");
  return map;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool request = (data[0] & 1) != 0;
  const bool pragma = (data[0] & 2) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<std::string_view> lines = split_lines(text);

  const CacheControl cc = parse_cache_control(map_of(lines, pragma), request);
  check(within_any(cc.no_cache_fields, lines), "no-cache fields are a view into a field");
  check(within_any(cc.private_fields, lines), "private fields are a view into a field");
  check(cc.no_cache_fields.empty() || cc.no_cache, "a no-cache field list implies no-cache");
  check(cc.private_fields.empty() || cc.is_private, "a private field list implies private");
  check(in_range(cc.max_age) && in_range(cc.s_maxage) && in_range(cc.stale_while_revalidate) &&
            in_range(cc.stale_if_error) && in_range(cc.max_stale) && in_range(cc.min_fresh),
        "delta-seconds within 0..kMaxDeltaSeconds");
  check(!(cc.max_stale && cc.max_stale_any), "a limited max-stale wins over an unlimited one");

  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
  }
  check(same_directives(cc, parse_cache_control(map_of(split_lines(upper), pragma), request)),
        "directive names are case-insensitive");

  std::vector<std::string_view> more = lines;
  more.emplace_back("no-store");
  CacheControl with_no_store = parse_cache_control(map_of(more, pragma), request);
  check(with_no_store.no_store, "a no-store line sets no-store");
  with_no_store.no_store = cc.no_store;
  check(same_directives(cc, with_no_store), "field lines are independent");

  if (pragma) {
    check(cc.no_cache == parse_cache_control(map_of(lines, false), request).no_cache,
          "Pragma is ignored next to Cache-Control");
  }
  check(parse_cache_control(map_of({}, true), request).no_cache == request,
        "Pragma: no-cache counts for requests alone");
  return 0;
}
