#include "router/router.h"

#include <algorithm>
#include <cctype>

#include "http/header_map.h"

namespace bulwark::router {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view strip_port(std::string_view host) {
  if (host.starts_with('[')) {  // [v6]:port
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool ends_with_icase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         http::iequals(text.substr(text.size() - suffix.size()), suffix);
}

bool matches(const config::RouteMatch& match, std::string_view path) {
  const std::string_view without_query = path.substr(0, path.find('?'));
  if (match.path_kind == config::PathMatchKind::kExact) return without_query == match.path;
  return without_query.starts_with(match.path);
}

}  // namespace

Router::Router(const config::Listener& listener) {
  for (std::uint32_t i = 0; i < listener.virtual_hosts.size(); ++i) {
    const config::VirtualHost& vhost = listener.virtual_hosts[i];
    for (const std::string& domain : vhost.domains) {
      if (domain == "*") {
        if (defaults_.empty()) defaults_.push_back({"*", &vhost, i});
      } else if (domain.starts_with("*.")) {
        wildcard_.push_back({lower(domain.substr(1)), &vhost, i});  // keeps the dot: ".example.com"
      } else {
        exact_.push_back({lower(domain), &vhost, i});
      }
    }
  }
  if (!defaults_.empty()) default_ = &defaults_.front();
  std::stable_sort(wildcard_.begin(), wildcard_.end(), [](const HostEntry& a, const HostEntry& b) {
    return a.name.size() > b.name.size();
  });
}

const Router::HostEntry* Router::find_virtual_host(std::string_view host) const {
  const std::string_view name = strip_port(host);
  for (const HostEntry& entry : exact_) {
    if (http::iequals(entry.name, name)) return &entry;
  }
  for (const HostEntry& entry : wildcard_) {
    if (name.size() > entry.name.size() && ends_with_icase(name, entry.name)) return &entry;
  }
  return default_;
}

RouteHit Router::route(const RouteQuery& query) const {
  const HostEntry* host = find_virtual_host(query.host);
  if (host == nullptr) return {};
  RouteHit hit{.vhost = host->vhost, .vhost_index = host->index};
  for (std::uint32_t i = 0; i < host->vhost->routes.size(); ++i) {
    if (matches(host->vhost->routes[i].match, query.target)) {
      hit.route = &host->vhost->routes[i];
      hit.route_index = i;
      return hit;
    }
  }
  return hit;
}

}  // namespace bulwark::router
