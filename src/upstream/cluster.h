#pragma once
// A cluster as the data path uses it: endpoints as socket addresses, fixed for a configuration
// snapshot (IP addresses as written; names as their latest DNS answer gave them, one endpoint
// per address), plus the settings its pools and balancer need.

#include <asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/tls/client_context.h"
#include "upstream/dns/answer.h"
#include "upstream/state_board.h"
#include "upstream/sticky_cookie.h"

namespace bulwark::upstream {

struct ClusterEndpoint {
  asio::ip::tcp::endpoint address;
  // Its identity on the StateBoard and in logs (never sent to clients): "host:port" as
  // configured, or "address:port" for one a DNS answer gave.
  std::string label;
  std::shared_ptr<EndpointState> state;  // shared by all workers and snapshots
  std::uint32_t weight = 1;              // as configured, or from its SRV record
  // The name TLS sends as SNI and checks the certificate against, unless the cluster names one:
  // the host as configured (a name, or an IP literal); for SRV targets, their address.
  std::string server_name;
};

struct Cluster {
  std::string name;
  std::vector<ClusterEndpoint> endpoints;
  config::PoolSettings pool;
  std::shared_ptr<ClusterCounters> counters;           // shared by all workers and snapshots
  std::optional<StickyCookie> sticky;                  // when the cluster has sticky sessions
  std::shared_ptr<const net::tls::ClientContext> tls;  // when the endpoints speak TLS
};

// The endpoints of `spec`: IP addresses as written, names as `answers` has them (it never
// blocks), each with the shared state `board` keeps for it. False with `error` set when
// `answers` lacks a name.
bool resolve_cluster(const config::Cluster& spec, StateBoard& board, const dns::AnswerBook& answers,
                     Cluster& out, std::string& error);

}  // namespace bulwark::upstream
