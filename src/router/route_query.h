#pragma once
// What routing looks at in a request, and what it finds (router.h is the entry point).

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "http/header_map.h"

namespace bulwark::router {

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

}  // namespace bulwark::router
