#pragma once
// The load-balancing interface. One instance per worker and cluster (DESIGN.md §2: shared nothing
// on the hot path), so no balancer takes a lock or touches an atomic. Built from the cluster's
// configuration by make_balancer(); the endpoints' identities are fixed for its life, their
// weights change with their availability (set_weights), and per-endpoint state (outstanding
// requests, latency estimates) is kept by endpoint index through such changes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "config/config.h"

namespace bulwark::upstream {

// What one pick may look at, all views into the request being balanced.
struct PickContext {
  std::string_view client_address;  // the client's IP as text
  // The key the cluster hashes on (hash_key); empty when the request lacks it, in which case the
  // hashing balancers fall back to the client address.
  std::string_view hash_key;
};

class Balancer {
 public:
  virtual ~Balancer() = default;

  // Index of the endpoint for the next request, below the cluster's endpoint count, among those
  // with a weight above 0.
  virtual std::size_t pick(const PickContext& context) = 0;
  // The endpoints' current weights (one per endpoint, at least one above 0): 0 takes an endpoint
  // out (unhealthy, ejected, drained), a share of its configured weight ramps it up after a
  // return (slow start). Called rarely: when the availability of some endpoint changed.
  virtual void set_weights(std::span<const std::uint32_t> weights) = 0;
  // A request was sent to endpoint `i` (not necessarily the picked one: connects fail over).
  virtual void on_request_start(std::size_t /*i*/) {}
  // That request ended: `latency` until the response head (or the failure), `ok` when the
  // endpoint answered at all.
  virtual void on_request_end(std::size_t /*i*/, std::chrono::nanoseconds /*latency*/,
                              bool /*ok*/) {}
};

// One endpoint as the balancers see it: `identity` (its configured HOST:PORT, or ADDRESS:PORT
// for one from DNS) keeps the hashing balancers' placement stable when other endpoints come or
// go.
struct BalancerEndpoint {
  std::string_view identity;
  std::uint32_t weight = 1;
};

// The balancer `cluster.balancer` names, over `endpoints` (not empty; those of the snapshot,
// where a DNS name stands for as many endpoints as it has addresses). `worker` seeds per-worker
// state (start offsets, random generators) so that workers do not move in lockstep.
std::unique_ptr<Balancer> make_balancer(const config::Cluster& cluster,
                                        std::span<const BalancerEndpoint> endpoints,
                                        std::size_t worker);
// The same over the configured endpoints, all IP addresses (tests and benchmarks).
std::unique_ptr<Balancer> make_balancer(const config::Cluster& cluster, std::size_t worker);

}  // namespace bulwark::upstream
