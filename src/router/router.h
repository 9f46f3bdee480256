#pragma once
// Picks the route for a request: virtual host by the request's host, then the first route of that
// host whose match fits. Built once per listener per configuration snapshot; immutable after.

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/header_map.h"

namespace bulwark::router {

// What routing looks at in a request.
struct RouteQuery {
  std::string_view host;    // Host as the client sent it (case and port are normalised here)
  std::string_view target;  // origin-form path, with the query
  std::string_view method;  // the method token, e.g. "GET"
  const http::HeaderMap* headers = nullptr;
  asio::ip::address client;
  std::uint16_t local_port = 0;  // the listener's port, for a Host without one
};

struct RouteHit {
  const config::VirtualHost* vhost = nullptr;
  const config::Route* route = nullptr;
  std::uint32_t vhost_index = 0;  // into Listener::virtual_hosts
  std::uint32_t route_index = 0;  // into VirtualHost::routes
};

class Router {
 public:
  explicit Router(const config::Listener& listener);

  // The first route of the matching virtual host that fits; route == nullptr when none does
  // (vhost is still set when a virtual host matched).
  [[nodiscard]] RouteHit route(const RouteQuery& query) const;

 private:
  struct HostEntry {
    std::string name;  // lower case; "*.example.com" keeps its "*."; "*" alone is the default
    const config::VirtualHost* vhost;
    std::uint32_t index;
  };
  [[nodiscard]] const HostEntry* find_virtual_host(std::string_view host) const;

  std::vector<HostEntry> exact_;
  std::vector<HostEntry> wildcard_;  // longest suffix first
  const HostEntry* default_ = nullptr;
  std::vector<HostEntry> defaults_;  // storage for default_
};

}  // namespace bulwark::router
