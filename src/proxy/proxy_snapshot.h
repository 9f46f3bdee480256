#pragma once
// Everything the data path needs from one configuration, prepared once (resolved endpoints,
// routers, filter factories) and then shared read-only by all workers. A reload builds a new
// snapshot; connections keep the one they started with.

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/metrics.h"
#include "http/h1/parser_limits.h"
#include "proxy/cache_keeper.h"
#include "proxy/filter/filter.h"
#include "proxy/tls_store.h"
#include "router/path_rewriter.h"
#include "router/router.h"
#include "upstream/cluster.h"

namespace bulwark::proxy {

// The filters one stream runs, in order; they point into ProxySnapshot::factories.
using FilterList = std::vector<const FilterFactory*>;

// What a route needs at run time besides its configuration.
struct RouteRuntime {
  FilterList filters;  // built-in, the host's filters or the route's own, then obfuscation
  std::optional<router::PathRewriter> rewrite;
  core::MetricsSeries metrics;
};

struct VirtualHostRuntime {
  std::vector<RouteRuntime> routes;  // same order as VirtualHost::routes
};

struct ListenerRuntime {
  const config::Listener* spec;
  asio::ip::tcp::endpoint endpoint;
  router::Router router;
  std::vector<VirtualHostRuntime> hosts;               // same order as spec->virtual_hosts
  std::shared_ptr<const net::tls::ServerContext> tls;  // TLS listeners only
  std::string hsts;  // the Strict-Transport-Security value; empty: none
  // Where the requests no route took are counted.
  core::MetricsSeries metrics;

  [[nodiscard]] const RouteRuntime& runtime_of(const router::RouteHit& hit) const {
    return hosts[hit.vhost_index].routes[hit.route_index];
  }
};

struct ProxySnapshot {
  config::ConfigPtr config;
  std::vector<ListenerRuntime> listeners;
  std::vector<upstream::Cluster> clusters;  // same order as config->clusters
  // Every filter factory of this configuration; the lists below point into it.
  std::vector<std::unique_ptr<FilterFactory>> factories;
  // What runs for a request no route took (404s and other local replies before routing).
  FilterList builtin_filters;
  http::h1::ParserLimits parser_limits;
  std::shared_ptr<const TlsContexts> tls;   // what the listeners' and clusters' `tls` point into
  std::shared_ptr<cache::HttpCache> cache;  // what the `cache` filters store into

  // Builds the filter factories and the clusters' endpoints; the addresses of endpoint names
  // come from `answers` (their latest DNS answers), so nothing blocks. nullptr with `error` set
  // when something does not resolve. The endpoints' shared state comes from `board`, which must
  // outlive the snapshot. TLS contexts come from `tls` (the server's store, so that they and
  // their ticket keys are kept across snapshots), or from a store of the call's own when null;
  // the HTTP cache likewise from `caches`. Routes and listeners get their series in `metrics`
  // (main thread only); without it, all share series 0.
  static std::shared_ptr<const ProxySnapshot> build(config::ConfigPtr config,
                                                    upstream::StateBoard& board,
                                                    const upstream::dns::AnswerBook& answers,
                                                    std::string& error, TlsStore* tls = nullptr,
                                                    CacheKeeper* caches = nullptr,
                                                    core::Metrics* metrics = nullptr);

  // The listener of the same name, or nullptr when this snapshot has none.
  [[nodiscard]] const ListenerRuntime* find_listener(std::string_view name) const noexcept;
  // True when a peer address is in forwarding.trusted_networks.
  [[nodiscard]] bool trusts(const asio::ip::address& peer) const noexcept;
};

using SnapshotPtr = std::shared_ptr<const ProxySnapshot>;

}  // namespace bulwark::proxy
