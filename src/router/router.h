#pragma once
// Picks the route for a request: the virtual host by the request's Host (virtual_host_table.h),
// then the first route of that host whose match fits (route_table.h). Built once per listener
// per configuration snapshot and immutable after, so all workers share it. route() is on every
// request's path: it allocates nothing unless a regex path has to list its matches.

#include <vector>

#include "config/config.h"
#include "router/route_query.h"
#include "router/route_table.h"
#include "router/virtual_host_table.h"

namespace bulwark::router {

class Router {
 public:
  // Refers to `listener`, which must outlive the router (both belong to one config snapshot).
  explicit Router(const config::Listener& listener);

  // The first route of the matching virtual host that fits; route == nullptr when none does
  // (vhost is still set when a virtual host matched).
  [[nodiscard]] RouteHit route(const RouteQuery& query) const;

 private:
  const config::Listener* listener_;
  VirtualHostTable hosts_;
  std::vector<RouteTable> routes_;  // per virtual host
};

}  // namespace bulwark::router
