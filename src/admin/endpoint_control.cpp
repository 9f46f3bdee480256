#include "admin/endpoint_control.h"

#include <fmt/format.h>

#include "config/suggest.h"
#include "core/log.h"

namespace bulwark::admin {
namespace {

// Enough names to spot a typo in; a cluster of a thousand endpoints is listed by `endpoints`.
constexpr std::size_t kNamesShown = 8;

// "a, b, c and 2 more".
std::string some_of(std::span<const std::string_view> names) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i)
    text += fmt::format("{}{}", i == 0 ? "" : ", ", names[i]);
  if (names.size() > kNamesShown) text += fmt::format(" and {} more", names.size() - kNamesShown);
  return text;
}

EndpointStatus status_of(const upstream::Cluster& cluster,
                         const upstream::ClusterEndpoint& endpoint) {
  const upstream::EndpointState& state = *endpoint.state;
  return {cluster.name,    endpoint.label,  state.admin(),
          state.healthy(), state.ejected(), state.ejections()};
}

}  // namespace

std::expected<const upstream::Cluster*, std::string> EndpointControl::find_cluster(
    std::string_view name) const {
  for (const upstream::Cluster& cluster : clusters_) {
    if (cluster.name == name) return &cluster;
  }
  if (clusters_.empty()) {
    return std::unexpected(fmt::format("no cluster '{}': the configuration has none", name));
  }
  std::vector<std::string_view> names;
  names.reserve(clusters_.size());
  for (const upstream::Cluster& cluster : clusters_)
    names.emplace_back(cluster.name);
  if (std::string suggestion = config::did_you_mean(name, names); !suggestion.empty()) {
    return std::unexpected(fmt::format("no cluster '{}'; {}", name, suggestion));
  }
  return std::unexpected(fmt::format("no cluster '{}'; the clusters are {}", name, some_of(names)));
}

std::expected<std::vector<EndpointStatus>, std::string> EndpointControl::list(
    std::optional<std::string_view> cluster) const {
  std::vector<EndpointStatus> out;
  if (cluster) {
    auto found = find_cluster(*cluster);
    if (!found) return std::unexpected(std::move(found.error()));
    for (const upstream::ClusterEndpoint& endpoint : (*found)->endpoints)
      out.push_back(status_of(**found, endpoint));
    return out;
  }
  for (const upstream::Cluster& each : clusters_) {
    for (const upstream::ClusterEndpoint& endpoint : each.endpoints)
      out.push_back(status_of(each, endpoint));
  }
  return out;
}

std::expected<void, std::string> EndpointControl::set(std::string_view cluster,
                                                      std::string_view identity,
                                                      upstream::AdminState state) const {
  auto found = find_cluster(cluster);
  if (!found) return std::unexpected(std::move(found.error()));
  const std::vector<upstream::ClusterEndpoint>& endpoints = (*found)->endpoints;
  for (const upstream::ClusterEndpoint& endpoint : endpoints) {
    if (endpoint.label != identity) continue;
    // The snapshot's endpoint holds the board's state: the change reaches every worker, and the
    // snapshots that in-flight requests still use.
    const upstream::AdminState was = endpoint.state->admin();
    endpoint.state->set_admin(state);
    if (was != state) {
      BULWARK_LOG_INFO("control: endpoint {} of cluster '{}' is {} (was {})", identity, cluster,
                       upstream::to_string(state), upstream::to_string(was));
    }
    return {};
  }
  // No "did you mean" here: an address one digit away is another machine, not a typo.
  std::vector<std::string_view> names;
  names.reserve(endpoints.size());
  for (const upstream::ClusterEndpoint& endpoint : endpoints)
    names.emplace_back(endpoint.label);
  return std::unexpected(fmt::format("cluster '{}' has no endpoint '{}'; its endpoints are {}",
                                     cluster, identity, some_of(names)));
}

}  // namespace bulwark::admin
