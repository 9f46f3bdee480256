#include "upstream/lb/hash_key.h"

#include "http/header_map.h"

namespace bulwark::upstream {
namespace {

// The value of `name` in a `separator`-separated list of NAME=VALUE pairs.
std::string_view find_pair(std::string_view list, char separator, std::string_view name) noexcept {
  while (!list.empty()) {
    const std::size_t end = list.find(separator);
    const std::string_view pair = http::trim_ows(list.substr(0, end));
    list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return pair.substr(equals + 1);
    }
  }
  return {};
}

}  // namespace

std::string_view cookie_value(const http::HeaderMap& headers, std::string_view name) noexcept {
  for (const auto& field : headers) {
    if (!http::iequals(field.name, "cookie")) continue;
    if (std::string_view value = find_pair(field.value, ';', name); !value.empty()) return value;
  }
  return {};
}

std::string_view extract_hash_key(const config::HashKey& spec, const http::RequestHead& request,
                                  std::string_view client_address) noexcept {
  const std::string_view path = request.path;
  const std::size_t question = path.find('?');
  switch (spec.source) {
    case config::HashKey::Source::kHeader:
      return request.headers.get(spec.name);
    case config::HashKey::Source::kCookie:
      return cookie_value(request.headers, spec.name);
    case config::HashKey::Source::kPath:
      return path.substr(0, question);
    case config::HashKey::Source::kQuery:
      if (question == std::string_view::npos) return {};
      return find_pair(path.substr(question + 1), '&', spec.name);
    case config::HashKey::Source::kClientAddress:
      return client_address;
  }
  return {};
}

}  // namespace bulwark::upstream
