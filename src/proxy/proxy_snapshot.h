#pragma once
// Everything the data path needs from one configuration, prepared once (resolved endpoints,
// routers, filter factories) and then shared read-only by all workers. A reload builds a new
// snapshot; connections keep the one they started with.

#include <asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/h1/parser_limits.h"
#include "proxy/filter/filter.h"
#include "router/router.h"
#include "upstream/cluster.h"

namespace bulwark::proxy {

struct ListenerRuntime {
  const config::Listener* spec;
  asio::ip::tcp::endpoint endpoint;
  router::Router router;
};

struct ProxySnapshot {
  config::ConfigPtr config;
  std::vector<ListenerRuntime> listeners;
  std::vector<upstream::Cluster> clusters;  // same order as config->clusters
  std::vector<std::unique_ptr<FilterFactory>> filters;
  http::h1::ParserLimits parser_limits;

  // Resolves addresses and builds the filter factories. Blocking (name resolution): call it off
  // the workers. nullptr with `error` set when something does not resolve.
  static std::shared_ptr<const ProxySnapshot> build(config::ConfigPtr config, std::string& error);

  // True when a peer address is in forwarding.trusted_networks.
  [[nodiscard]] bool trusts(const asio::ip::address& peer) const noexcept;
};

using SnapshotPtr = std::shared_ptr<const ProxySnapshot>;

}  // namespace bulwark::proxy
