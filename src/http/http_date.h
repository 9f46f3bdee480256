#pragma once
// HTTP-date (RFC 9110 §5.6.7): what Last-Modified, If-Modified-Since and the like carry. Times are
// whole seconds since the Unix epoch, UTC; no time zone or locale is involved (not timegm, not
// strftime), so this is pure and safe on any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bulwark::http {

// "Sun, 06 Nov 1994 08:49:37 GMT"
inline constexpr std::size_t kHttpDateSize = 29;

// Writes the IMF-fixdate form of `seconds` into `out`; returns a view of it. Years outside
// 0..9999 are clamped to that range's ends.
std::string_view format_http_date(std::int64_t seconds,
                                  std::span<char, kHttpDateSize> out) noexcept;

// Reads any of the three forms a recipient must accept: IMF-fixdate, the obsolete RFC 850 form
// ("Sunday, 06-Nov-94 08:49:37 GMT"; years 00-69 are 20xx, 70-99 are 19xx) and asctime
// ("Sun Nov  6 08:49:37 1994"). nullopt when the text is none of them.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

}  // namespace bulwark::http
