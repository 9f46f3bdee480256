#include "admin/config_view.h"

#include <string>
#include <variant>

namespace bulwark::admin {
namespace {

using nlohmann::json;

std::string_view action_of(const config::Action& action) {
  if (std::holds_alternative<config::ProxyAction>(action)) return "proxy";
  if (std::holds_alternative<config::DirectResponseAction>(action)) return "direct_response";
  if (std::holds_alternative<config::StaticAction>(action)) return "static";
  if (std::holds_alternative<config::RedirectAction>(action)) return "redirect";
  return "other";
}

json route_view(const config::Route& route, const config::Config& config) {
  json view{{"name", route.name}, {"path", route.match.path}, {"action", action_of(route.action)}};
  if (!route.match.methods.empty()) view["methods"] = route.match.methods;
  if (const auto* proxy = std::get_if<config::ProxyAction>(&route.action)) {
    view["cluster"] = config.clusters[proxy->cluster_index].name;
  }
  return view;
}

json listener_view(const config::Listener& listener, const config::Config& config) {
  json hosts = json::array();
  for (const config::VirtualHost& host : listener.virtual_hosts) {
    json routes = json::array();
    for (const config::Route& route : host.routes)
      routes.push_back(route_view(route, config));
    hosts.push_back({{"domains", host.domains}, {"routes", std::move(routes)}});
  }
  return {{"name", listener.name},
          {"listen", listener.listen.to_string()},
          {"tls", listener.tls.has_value()},
          {"virtual_hosts", std::move(hosts)}};
}

json cluster_view(const config::Cluster& cluster) {
  json endpoints = json::array();
  for (const config::Endpoint& endpoint : cluster.endpoints) {
    endpoints.push_back(
        {{"address", endpoint.srv.empty() ? endpoint.address.to_string() : endpoint.srv},
         {"weight", endpoint.weight}});
  }
  return {{"name", cluster.name},
          {"balancer", cluster.balancer},
          {"tls", cluster.tls.has_value()},
          {"endpoints", std::move(endpoints)}};
}

}  // namespace

json config_view(const config::Config& config) {
  json listeners = json::array();
  for (const config::Listener& listener : config.listeners)
    listeners.push_back(listener_view(listener, config));
  json clusters = json::array();
  for (const config::Cluster& cluster : config.clusters)
    clusters.push_back(cluster_view(cluster));
  json admin = nullptr;
  if (config.admin.listen) {
    admin = {{"listen", config.admin.listen->to_string()},
             {"token", config.admin.token.empty() ? json(nullptr) : json(kRedacted)}};
  }
  return {{"source", config.source},
          {"workers", config.effective_workers()},
          {"listeners", std::move(listeners)},
          {"clusters", std::move(clusters)},
          {"access_log", config.access_log.path},
          {"error_log", config.error_log.path},
          {"pid_file", config.pid_file},
          {"control_socket", config.control_socket},
          {"admin", std::move(admin)}};
}

}  // namespace bulwark::admin
