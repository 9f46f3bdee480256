#pragma once
// Picks the route for a request: virtual host by the request's host, then the first route of that
// host whose match fits. Built once per listener per configuration snapshot; immutable after.

#include <string_view>
#include <vector>

#include "config/config.h"

namespace bulwark::router {

class Router {
 public:
  explicit Router(const config::Listener& listener);

  // `host` as the client sent it (port and case are ignored); `path` may carry a query.
  // nullptr when no virtual host or route matches.
  [[nodiscard]] const config::Route* route(std::string_view host, std::string_view path) const;

 private:
  struct HostEntry {
    std::string name;  // lower case; "*.example.com" keeps its "*."; "*" alone is the default
    const config::VirtualHost* vhost;
  };
  [[nodiscard]] const config::VirtualHost* find_virtual_host(std::string_view host) const;

  std::vector<HostEntry> exact_;
  std::vector<HostEntry> wildcard_;  // longest suffix first
  const config::VirtualHost* default_ = nullptr;
};

}  // namespace bulwark::router
