#include "filters/obfuscation/backend_rewriter.h"

#include <algorithm>
#include <initializer_list>

#include "http/header_map.h"

namespace bulwark::filters {
namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view concat(core::Arena& arena, std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (const std::string_view piece : pieces)
    size += piece.size();
  auto* out = static_cast<char*>(arena.allocate(size, 1));
  char* cursor = out;
  for (const std::string_view piece : pieces)
    cursor = std::copy(piece.begin(), piece.end(), cursor);
  return {out, size};
}

bool starts_with_icase(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && http::iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text) noexcept {
  const std::size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

std::string_view strip_brackets(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// RFC 3986 §3.2.3: an empty port means the scheme's default.
bool parse_port(std::string_view text, std::uint16_t fallback, std::uint16_t& port) noexcept {
  if (text.empty()) {
    port = fallback;
    return true;
  }
  if (text.size() > 5) return false;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port"; false when it is none of them.
bool split_authority(std::string_view authority, std::uint16_t default_port, std::string_view& host,
                     std::uint16_t& port) noexcept {
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (after.empty()) {
      port = default_port;
      return true;
    }
    return after.front() == ':' && parse_port(after.substr(1), default_port, port);
  }
  const std::size_t colon = authority.rfind(':');
  host = authority.substr(0, colon);
  if (host.find(':') != std::string_view::npos) return false;  // IPv6 must be in brackets
  if (colon == std::string_view::npos) {
    port = default_port;
    return true;
  }
  return parse_port(authority.substr(colon + 1), default_port, port);
}

// The name of the public host without its port, or empty when it is an IP address (a cookie's
// Domain cannot widen one) or unknown.
std::string_view cookie_domain_of(std::string_view public_host) noexcept {
  if (public_host.empty() || public_host.front() == '[') return {};
  const std::string_view name = public_host.substr(0, public_host.rfind(':'));
  const bool ipv4 = name.find_first_not_of("0123456789.") == std::string_view::npos;
  return ipv4 ? std::string_view{} : name;
}

// `path` as the client knows it, when the site maps paths and `path` is under the upstream
// prefix; nullopt otherwise.
std::optional<std::string_view> public_path(std::string_view path, PublicSite site,
                                            core::Arena& arena) {
  if (!site.maps_paths() || !path.starts_with(site.upstream_prefix)) return std::nullopt;
  std::string_view rest = path.substr(site.upstream_prefix.size());
  // "/app/" + "/x" (an empty upstream prefix leaves the rest's slash) must not double it.
  if (site.public_prefix.ends_with('/') && rest.starts_with('/')) rest.remove_prefix(1);
  return concat(arena, {site.public_prefix, rest});
}

}  // namespace

bool BackendRewriter::names_backend(std::string_view host, std::uint16_t port) const noexcept {
  host = strip_brackets(host);
  return std::ranges::any_of(backends_, [&](const BackendName& backend) {
    return (backend.port == 0 || port == 0 || backend.port == port) &&
           http::iequals(backend.host, host);
  });
}

std::optional<std::string_view> BackendRewriter::rewrite_url(std::string_view url, PublicSite site,
                                                             core::Arena& arena) const {
  std::uint16_t default_port = 80;
  if (starts_with_icase(url, "http://")) {
    url.remove_prefix(7);
  } else if (starts_with_icase(url, "https://")) {
    url.remove_prefix(8);
    default_port = 443;
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);  // scheme-relative: the backend was spoken to in plain HTTP
  } else if (url.starts_with('/')) {
    return public_path(url, site, arena);  // an absolute path: only a prefix mapping applies
  } else {
    return std::nullopt;  // relative, or another scheme: nothing of a backend's to hide
  }
  const std::size_t authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  const std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view{} : url.substr(authority_end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // userinfo is dropped along with the backend's name
  }
  std::string_view host;
  std::uint16_t port = 0;
  if (!split_authority(authority, default_port, host, port) || !names_backend(host, port)) {
    return std::nullopt;
  }
  std::string_view slash = tail.starts_with('/') ? "" : "/";
  std::string_view path = tail;
  if (const std::optional<std::string_view> mapped =
          public_path(tail.starts_with('/') ? tail : concat(arena, {"/", tail}), site, arena)) {
    slash = {};
    path = *mapped;
  }
  if (site.host.empty()) return concat(arena, {slash, path});
  return concat(arena, {site.scheme, "://", site.host, slash, path});
}

std::optional<std::string_view> BackendRewriter::rewrite_refresh(std::string_view value,
                                                                 PublicSite site,
                                                                 core::Arena& arena) const {
  std::size_t start = value.find_first_of(";,");
  if (start == std::string_view::npos) return std::nullopt;  // a delay alone reloads the page
  start = value.find_first_not_of(kWhitespace, start + 1);
  if (start == std::string_view::npos) return std::nullopt;
  if (starts_with_icase(value.substr(start), "url")) {
    const std::size_t equals = value.find_first_not_of(kWhitespace, start + 3);
    if (equals != std::string_view::npos && value[equals] == '=') {
      start = value.find_first_not_of(kWhitespace, equals + 1);
      if (start == std::string_view::npos) return std::nullopt;
    }
  }
  std::size_t end = value.size();
  if (value[start] == '\'' || value[start] == '"') {
    const std::size_t close = value.find(value[start], start + 1);
    ++start;
    end = close == std::string_view::npos ? value.size() : close;
  } else {
    end = value.find_last_not_of(kWhitespace) + 1;
  }
  const std::optional<std::string_view> url =
      rewrite_url(value.substr(start, end - start), site, arena);
  if (!url) return std::nullopt;
  return concat(arena, {value.substr(0, start), *url, value.substr(end)});
}

std::optional<std::string_view> BackendRewriter::rewrite_set_cookie(std::string_view value,
                                                                    PublicSite site,
                                                                    core::Arena& arena) const {
  const std::string_view public_domain = cookie_domain_of(site.host);
  bool changed = false;
  // Attributes start at each ';' (RFC 6265 §4.1.1); the first part is the name=value pair.
  std::size_t attribute = value.find(';');
  while (attribute != std::string_view::npos) {
    const std::size_t next = value.find(';', attribute + 1);
    const std::string_view text = value.substr(attribute + 1, next - attribute - 1);
    const std::size_t equals = text.find('=');
    const std::string_view name = trim(text.substr(0, equals));
    const std::string_view given =
        equals == std::string_view::npos ? std::string_view{} : trim(text.substr(equals + 1));
    std::optional<std::string_view> replacement;
    bool remove = false;
    if (http::iequals(name, "domain") && !given.empty() &&
        names_backend(given.substr(given.starts_with('.') ? 1 : 0), 0)) {
      remove = public_domain.empty();
      if (!remove) replacement = public_domain;
    } else if (http::iequals(name, "path")) {
      replacement = public_path(given, site, arena);
    }
    if (!remove && !replacement) {
      attribute = next;
      continue;
    }
    changed = true;
    if (remove) {
      const std::size_t attribute_end = next == std::string_view::npos ? value.size() : next;
      value = concat(arena, {value.substr(0, attribute), value.substr(attribute_end)});
      attribute = value.find(';', attribute);
      continue;
    }
    const std::size_t given_begin = static_cast<std::size_t>(given.data() - value.data());
    const std::size_t given_end = given_begin + given.size();
    value = concat(arena, {value.substr(0, given_begin), *replacement, value.substr(given_end)});
    attribute = value.find(';', given_begin + replacement->size());
  }
  if (!changed) return std::nullopt;
  return value;
}

}  // namespace bulwark::filters
