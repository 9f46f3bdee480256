#include "router/static/static_path.h"

#include "http/hex_digit.h"

namespace bulwark::router {
namespace {

// Percent-decodes `raw` once into `out`.
std::expected<void, PathRefusal> decode(std::string_view raw, std::pmr::string& out) {
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      const int high = i + 2 < raw.size() ? http::hex_digit_value(raw[i + 1]) : -1;
      const int low = i + 2 < raw.size() ? http::hex_digit_value(raw[i + 2]) : -1;
      if (high < 0 || low < 0) return std::unexpected(PathRefusal::kBadRequest);
      c = static_cast<char>(high * 16 + low);
      if (c == '/') return std::unexpected(PathRefusal::kNotFound);
      i += 2;
    }
    if (c == '\0') return std::unexpected(PathRefusal::kBadRequest);
    out.push_back(c);
  }
  return {};
}

// Whether the last segment of `path` (undecoded) is "." or "..", possibly encoded.
bool ends_in_dot_segment(std::string_view path) {
  std::string_view last = path.substr(path.rfind('/') + 1);
  int dots = 0;
  while (!last.empty()) {
    if (last.front() == '.') {
      last.remove_prefix(1);
    } else if (last.size() >= 3 && last[0] == '%' && last[1] == '2' &&
               (last[2] == 'e' || last[2] == 'E')) {
      last.remove_prefix(3);
    } else {
      return false;
    }
    ++dots;
  }
  return dots == 1 || dots == 2;
}

}  // namespace

std::expected<StaticPath, PathRefusal> map_static_path(std::string_view path,
                                                       const config::StaticAction& action,
                                                       const config::RouteMatch& match,
                                                       std::pmr::memory_resource* memory) {
  std::pmr::string decoded(memory);
  if (action.prefix_rewrite && match.path_kind == config::PathMatchKind::kPrefix &&
      path.starts_with(match.path)) {
    std::pmr::string rewritten(*action.prefix_rewrite, memory);
    rewritten += path.substr(match.path.size());
    if (auto ok = decode(rewritten, decoded); !ok) return std::unexpected(ok.error());
  } else if (auto ok = decode(path, decoded); !ok) {
    return std::unexpected(ok.error());
  }

  StaticPath mapped(memory);
  mapped.directory_form = path.ends_with('/') || ends_in_dot_segment(path);
  std::pmr::string& out = mapped.relative;
  out.reserve(decoded.size());
  std::string_view rest = decoded;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (out.empty()) return std::unexpected(PathRefusal::kNotFound);  // above the root
      const std::size_t previous = out.rfind('/');
      out.resize(previous == std::pmr::string::npos ? 0 : previous);
      continue;
    }
    if (!out.empty()) out.push_back('/');
    out += segment;
  }
  if (!action.dotfiles) {
    // On the resolved path: "/.git/../index.html" names no dotfile, "/a/.env" does.
    const std::string_view resolved = out;
    if (resolved.starts_with('.') || resolved.find("/.") != std::string_view::npos) {
      return std::unexpected(PathRefusal::kNotFound);
    }
  }
  return mapped;
}

std::pmr::string directory_location(std::string_view path, std::string_view query,
                                    std::pmr::memory_resource* memory) {
  while (!path.empty() && (path.front() == '/' || path.front() == '\\'))
    path.remove_prefix(1);
  std::pmr::string location(memory);
  location.reserve(1 + path.size() + 1 + query.size());
  location += '/';
  location += path;
  location += '/';
  location += query;
  return location;
}

}  // namespace bulwark::router
