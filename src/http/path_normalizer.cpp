#include "http/path_normalizer.h"

#include "http/hex_digit.h"

namespace bulwark::http {
namespace {

bool is_unreserved(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// True when a first pass finds nothing to do: no escape and no dot segment.
bool looks_normal(std::string_view path) noexcept {
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%') return false;
    if (path[i] == '.' && i > 0 && path[i - 1] == '/') {
      const std::size_t end = path.find('/', i);
      const std::string_view segment = path.substr(i, end - i);
      if (segment == "." || segment == "..") return false;
    }
  }
  return true;
}

// Percent-decoding of unreserved characters and upper-casing of the other escapes.
bool decode_unreserved(std::string_view path, std::string& out) {
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out.push_back(path[i]);
      continue;
    }
    if (path.size() - i < 3) return false;
    const int high = hex_digit_value(path[i + 1]);
    const int low = hex_digit_value(path[i + 2]);
    if (high < 0 || low < 0) return false;
    const char decoded = static_cast<char>((high << 4) | low);
    if (is_unreserved(decoded)) {
      out.push_back(decoded);
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[static_cast<std::size_t>(high)]);
      out.push_back(kHex[static_cast<std::size_t>(low)]);
    }
    i += 2;
  }
  return true;
}

// RFC 3986 §5.2.4 on an absolute path, segment by segment; false when ".." climbs above "/".
bool remove_dot_segments(std::string_view path, std::string& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < path.size()) {
    // Each round takes "/segment" (the path starts with '/', so every segment has one).
    std::size_t end = path.find('/', pos + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(pos + 1, end - pos - 1);
    const bool last = end == path.size();
    if (segment == ".") {
      if (last) out.push_back('/');
    } else if (segment == "..") {
      if (out.empty()) return false;
      out.erase(out.rfind('/'));
      if (last) out.push_back('/');
    } else {
      out.push_back('/');
      out.append(segment);
    }
    pos = end;
  }
  if (out.empty()) out.push_back('/');
  return true;
}

}  // namespace

PathNormalization normalize_path(std::string_view target, std::string& out) {
  const std::size_t query_at = target.find('?');
  const std::string_view path = target.substr(0, query_at);
  if (!path.starts_with('/') || looks_normal(path)) return PathNormalization::kUnchanged;
  std::string decoded;
  if (!decode_unreserved(path, decoded)) return PathNormalization::kInvalid;
  if (!remove_dot_segments(decoded, out)) return PathNormalization::kInvalid;
  if (query_at != std::string_view::npos) out.append(target.substr(query_at));
  return out == target ? PathNormalization::kUnchanged : PathNormalization::kChanged;
}

}  // namespace bulwark::http
