#pragma once
// A cluster as the data path uses it: endpoints resolved to socket addresses once per
// configuration snapshot, plus the settings its pools and balancer need.

#include <asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace bulwark::upstream {

struct ClusterEndpoint {
  asio::ip::tcp::endpoint address;
  std::string label;  // "host:port" as configured, for logs only (never sent to clients)
};

struct Cluster {
  std::string name;
  std::vector<ClusterEndpoint> endpoints;
  config::PoolSettings pool;
};

// Resolves every endpoint of `spec` (blocking; call off the workers). False with `error` set when
// a name does not resolve.
bool resolve_cluster(const config::Cluster& spec, Cluster& out, std::string& error);

}  // namespace bulwark::upstream
