#include "cache/policy/cache_status.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace bulwark::cache::policy {
namespace {

std::string_view forward_token(Forward forward) noexcept {
  switch (forward) {
    case Forward::kNone:
      return {};
    case Forward::kBypass:
      return "bypass";
    case Forward::kMethod:
      return "method";
    case Forward::kUriMiss:
      return "uri-miss";
    case Forward::kVaryMiss:
      return "vary-miss";
    case Forward::kMiss:
      return "miss";
    case Forward::kRequest:
      return "request";
    case Forward::kStale:
      return "stale";
  }
  return "miss";
}

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_tchar(char c) noexcept {
  return is_alpha(c) || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// sf-token (RFC 8941 §3.3.4): ( ALPHA / "*" ) *( tchar / ":" / "/" ).
bool is_sf_token(std::string_view text) noexcept {
  if (text.empty() || (!is_alpha(text[0]) && text[0] != '*')) return false;
  return std::ranges::all_of(text.substr(1),
                             [](char c) { return is_tchar(c) || c == ':' || c == '/'; });
}

// A token when the text is one, else an sf-string (RFC 8941 §3.3.3), whose characters outside
// printable ASCII become "?" (an sf-string cannot carry them).
void append_token_or_string(std::string& out, std::string_view text) {
  if (is_sf_token(text)) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  }
  out += '"';
}

void append_integer(std::string& out, std::int64_t value) {
  // sf-integer has at most 15 digits.
  constexpr std::int64_t kMax = 999'999'999'999'999;
  value = std::clamp(value, -kMax, kMax);
  std::array<char, 24> digits{};
  const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), end);
}

}  // namespace

std::string format_cache_status(std::string_view name, const CacheStatus& status) {
  std::string out;
  out.reserve(64 + status.detail.size());
  append_token_or_string(out, name);
  if (status.forward == Forward::kNone) {
    out += "; hit";
  } else {
    out += "; fwd=";
    out += forward_token(status.forward);
    if (status.forward_status != 0) {
      out += "; fwd-status=";
      append_integer(out, status.forward_status);
    }
  }
  if (status.ttl) {
    out += "; ttl=";
    append_integer(out, *status.ttl);
  }
  if (status.stored) out += "; stored";
  if (status.collapsed) out += "; collapsed";
  if (!status.detail.empty()) {
    out += "; detail=";
    append_token_or_string(out, status.detail);
  }
  return out;
}

}  // namespace bulwark::cache::policy
