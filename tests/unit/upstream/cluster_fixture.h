#pragma once
// A runtime cluster for the upstream tests: endpoints 10.0.0.<i>:80 with the given weights, their
// states on a board the fixture owns, and the matching configuration.

#include <string>
#include <vector>

#include "config/config.h"
#include "upstream/cluster.h"
#include "upstream/state_board.h"

namespace bulwark::upstream::testing {

struct ClusterFixture {
  explicit ClusterFixture(const std::vector<std::uint32_t>& weights,
                          std::string balancer = "round_robin") {
    spec.name = "api";
    spec.balancer = std::move(balancer);
    cluster.name = "api";
    cluster.counters = board.counters("api");
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const std::string host = "10.0.0." + std::to_string(i);
      spec.endpoints.push_back({.address = {host, 80}, .mark = {}, .weight = weights[i]});
      cluster.endpoints.push_back({asio::ip::tcp::endpoint(asio::ip::make_address(host), 80),
                                   host + ":80", board.endpoint("api", host + ":80"), weights[i]});
    }
  }
  EndpointState& state(std::size_t i) { return *cluster.endpoints[i].state; }

  StateBoard board;
  config::Cluster spec;
  Cluster cluster;
};

}  // namespace bulwark::upstream::testing
