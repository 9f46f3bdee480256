#include "proxy/proxy_snapshot.h"

#include <fmt/format.h>

#include "filters/forwarding/forwarding_filter.h"
#include "filters/request_id/request_id_filter.h"
#include "net/listener.h"
#include "proxy/filter_registry.h"
#include "proxy/tls_headers.h"

namespace bulwark::proxy {

namespace {

// The chain of a route: the request id first, so that everything after it can log it; then the
// forwarding headers; then the configured filters in their order; obfuscation last, so that it
// sees an upstream response before the configured filters do (which may then set their own
// Server field, for example).
FilterList chain_of(const FilterList& leading, const std::vector<const FilterFactory*>& configured,
                    const FilterFactory* last) {
  FilterList chain = leading;
  chain.insert(chain.end(), configured.begin(), configured.end());
  chain.push_back(last);
  return chain;
}

// The series of a route's requests (`route` null: of those no route took on `listener`).
core::MetricsSeries series_of(core::Metrics* metrics, const config::Config& spec,
                              const config::Listener& listener, const config::Route* route) {
  if (metrics == nullptr) return {};
  if (route == nullptr) return metrics->series(listener.name, "", "");
  const auto* proxy = std::get_if<config::ProxyAction>(&route->action);
  return metrics->series(listener.name, route->name,
                         proxy != nullptr ? spec.clusters[proxy->cluster_index].name : "");
}

std::optional<router::PathRewriter> rewriter_of(const config::Route& route) {
  if (const auto* proxy = std::get_if<config::ProxyAction>(&route.action)) {
    return router::PathRewriter::for_proxy(*proxy, route.match);
  }
  const auto* redirect = std::get_if<config::RedirectAction>(&route.action);
  if (redirect != nullptr && redirect->prefix_rewrite) {
    return router::PathRewriter::prefix(route.match.path, *redirect->prefix_rewrite);
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<const ProxySnapshot> ProxySnapshot::build(
    config::ConfigPtr config, upstream::StateBoard& board, const upstream::dns::AnswerBook& answers,
    std::string& error, TlsStore* tls, CacheKeeper* caches, core::Metrics* metrics) {
  auto snapshot = std::make_shared<ProxySnapshot>();
  TlsStore own_store;
  snapshot->tls = (tls != nullptr ? *tls : own_store).contexts_for(config, error);
  if (!snapshot->tls) return nullptr;
  CacheKeeper own_caches;
  snapshot->cache = (caches != nullptr ? *caches : own_caches).cache_for(*config);
  snapshot->config = std::move(config);
  const config::Config& spec = *snapshot->config;
  std::vector<std::unique_ptr<FilterFactory>>& factories = snapshot->factories;
  const auto own = [&factories](std::unique_ptr<FilterFactory> factory) {
    factories.push_back(std::move(factory));
    return factories.back().get();
  };
  bool made_all = true;
  const auto make_all = [&](const std::vector<config::FilterSpec>& specs) {
    std::vector<const FilterFactory*> made;
    for (const config::FilterSpec& filter : specs) {
      std::unique_ptr<FilterFactory> factory =
          make_filter_factory(filter, spec, snapshot->cache, error);
      made_all = made_all && factory != nullptr;
      if (factory) made.push_back(own(std::move(factory)));
    }
    return made;
  };
  const FilterList leading{
      own(std::make_unique<filters::RequestIdFilterFactory>(spec.request_id.header)),
      own(std::make_unique<filters::ForwardingFilterFactory>(filters::ForwardingSettings{
          spec.forwarding.via, spec.forwarding.x_forwarded, spec.forwarding.forwarded}))};
  const FilterFactory* obfuscation = own(make_obfuscation_factory(spec));
  snapshot->builtin_filters = chain_of(leading, {}, obfuscation);

  for (const config::Listener& listener : spec.listeners) {
    asio::ip::tcp::endpoint endpoint;
    if (!net::resolve(listener.listen, endpoint, error)) {
      error = fmt::format("listener '{}': {}", listener.name, error);
      return nullptr;
    }
    ListenerRuntime runtime{&listener,
                            endpoint,
                            router::Router(listener),
                            {},
                            snapshot->tls->listeners[snapshot->listeners.size()]};
    if (listener.tls && listener.tls->hsts) runtime.hsts = hsts_value(*listener.tls->hsts);
    runtime.metrics = series_of(metrics, spec, listener, nullptr);
    for (const config::VirtualHost& host : listener.virtual_hosts) {
      const std::vector<const FilterFactory*> host_filters = make_all(host.filters);
      VirtualHostRuntime& host_runtime = runtime.hosts.emplace_back();
      for (const config::Route& route : host.routes) {
        host_runtime.routes.push_back(
            {chain_of(leading, route.filters ? make_all(*route.filters) : host_filters,
                      obfuscation),
             rewriter_of(route), series_of(metrics, spec, listener, &route)});
      }
      if (!made_all) return nullptr;
    }
    snapshot->listeners.push_back(std::move(runtime));
  }
  for (const config::Cluster& cluster_spec : spec.clusters) {
    upstream::Cluster cluster;
    if (!upstream::resolve_cluster(cluster_spec, board, answers, cluster, error)) return nullptr;
    cluster.tls = snapshot->tls->clusters[snapshot->clusters.size()];
    snapshot->clusters.push_back(std::move(cluster));
  }
  snapshot->parser_limits = {spec.limits.max_request_line, spec.limits.max_header_bytes,
                             spec.limits.max_header_count};
  return snapshot;
}

const ListenerRuntime* ProxySnapshot::find_listener(std::string_view name) const noexcept {
  for (const ListenerRuntime& listener : listeners) {
    if (listener.spec->name == name) return &listener;
  }
  return nullptr;
}

bool ProxySnapshot::trusts(const asio::ip::address& peer) const noexcept {
  for (const net::Cidr& network : config->forwarding.trusted_networks) {
    if (network.contains(peer)) return true;
  }
  return false;
}

}  // namespace bulwark::proxy
