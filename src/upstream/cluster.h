#pragma once
// A cluster as the data path uses it: endpoints resolved to socket addresses once per
// configuration snapshot, plus the settings its pools and balancer need.

#include <asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "upstream/state_board.h"
#include "upstream/sticky_cookie.h"

namespace bulwark::upstream {

struct ClusterEndpoint {
  asio::ip::tcp::endpoint address;
  std::string label;  // "host:port" as configured, for logs only (never sent to clients)
  std::shared_ptr<EndpointState> state;  // shared by all workers and snapshots
  std::uint32_t weight = 1;              // as configured
};

struct Cluster {
  std::string name;
  std::vector<ClusterEndpoint> endpoints;
  config::PoolSettings pool;
  std::shared_ptr<ClusterCounters> counters;  // shared by all workers and snapshots
  std::optional<StickyCookie> sticky;         // when the cluster has sticky sessions
};

// Resolves every endpoint of `spec` (blocking; call off the workers) and attaches the shared
// state `board` keeps for it. False with `error` set when a name does not resolve.
bool resolve_cluster(const config::Cluster& spec, StateBoard& board, Cluster& out,
                     std::string& error);

}  // namespace bulwark::upstream
