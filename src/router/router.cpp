#include "router/router.h"

namespace bulwark::router {

Router::Router(const config::Listener& listener)
    : listener_(&listener), hosts_(listener.virtual_hosts) {
  routes_.reserve(listener.virtual_hosts.size());
  for (const config::VirtualHost& vhost : listener.virtual_hosts)
    routes_.emplace_back(vhost.routes);
}

RouteHit Router::route(const RouteQuery& query) const {
  const std::uint32_t host = hosts_.find(query.host, query.local_port);
  if (host == VirtualHostTable::kNone) return {};
  const config::VirtualHost& vhost = listener_->virtual_hosts[host];
  RouteHit hit{.vhost = &vhost, .vhost_index = host};
  const std::uint32_t route = routes_[host].find(query);
  if (route != RouteTable::kNoRoute) {
    hit.route = &vhost.routes[route];
    hit.route_index = route;
  }
  return hit;
}

}  // namespace bulwark::router
