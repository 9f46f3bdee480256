#include "cache/cache_key.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace bulwark::cache {
namespace {

constexpr char kPartSeparator = '\x1e';

void append_host(std::string& key, std::string_view scheme, std::string_view host) {
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (host.ends_with(default_port)) host.remove_suffix(default_port.size());
  for (const char c : host)
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
}

std::string_view param_name(std::string_view param) noexcept {
  return param.substr(0, param.find('='));
}

void append_query(std::string& key, std::string_view query, const KeyRules& rules) {
  if (rules.query == KeyRules::Query::kIgnore || query.empty()) return;
  std::vector<std::string_view> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty()) continue;
    const bool ignored = std::ranges::any_of(
        rules.ignore_params, [&](const std::string& name) { return param_name(param) == name; });
    if (!ignored) params.push_back(param);
  }
  if (rules.query == KeyRules::Query::kSort) std::ranges::stable_sort(params);
  if (params.empty()) return;
  key.push_back('?');
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i != 0) key.push_back('&');
    key.append(params[i]);
  }
}

// The value of cookie `name` in the request's Cookie fields; empty when absent.
std::string_view cookie_value(const http::HeaderMap& request, std::string_view name) {
  for (const http::HeaderField& field : request) {
    if (!http::iequals(field.name, "cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      const std::string_view pair = http::trim_ows(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return {};
}

}  // namespace

std::string key_prefix(std::string_view scheme, std::string_view host,
                       std::string_view path_prefix) {
  std::string key;
  key.append(scheme);
  key.push_back(kPartSeparator);
  append_host(key, scheme, host);
  key.push_back(kPartSeparator);
  key.append(path_prefix);
  return key;
}

std::string_view key_path(std::string_view primary_key) noexcept {
  const std::size_t host_at = primary_key.find(kPartSeparator);
  const std::size_t path_at = primary_key.find(kPartSeparator, host_at + 1);
  if (host_at == std::string_view::npos || path_at == std::string_view::npos) return {};
  const std::string_view rest = primary_key.substr(path_at + 1);
  return rest.substr(0, rest.find(kPartSeparator));
}

std::string primary_key(std::string_view scheme, std::string_view host, std::string_view path,
                        const http::HeaderMap& request, const KeyRules& rules) {
  const std::size_t question = path.find('?');
  std::string key = key_prefix(scheme, host, path.substr(0, question));
  if (question != std::string_view::npos) append_query(key, path.substr(question + 1), rules);
  for (const std::string& name : rules.headers) {
    key.push_back(kPartSeparator);
    key.append(name);
    key.push_back('=');
    // Every field line of the name, in order: a repeated field is not another request's key.
    bool first = true;
    for (const http::HeaderField& field : request) {
      if (!http::iequals(field.name, name)) continue;
      if (!first) key.append(", ");
      key.append(field.value);
      first = false;
    }
  }
  for (const std::string& name : rules.cookies) {
    key.push_back(kPartSeparator);
    key.append("cookie:");
    key.append(name);
    key.push_back('=');
    key.append(cookie_value(request, name));
  }
  return key;
}

}  // namespace bulwark::cache
