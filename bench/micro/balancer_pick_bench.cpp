// Cost of one balancer pick (issue 4), with 3 and 1,000 endpoints: what every proxied request
// pays on top of the connection. Each pick is followed by the start/end hooks, as in the
// upstream leg, so the load-tracking balancers are measured with their bookkeeping. Weights vary
// (1..5) and hash keys differ per request.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "upstream/lb/balancer.h"

namespace {

using bulwark::upstream::PickContext;

void pick(benchmark::State& state, const char* balancer) {
  bulwark::config::Cluster cluster;
  cluster.balancer = balancer;
  cluster.hash_key = bulwark::config::HashKey{};
  const auto count = static_cast<std::size_t>(state.range(0));
  for (std::size_t i = 0; i < count; ++i) {
    cluster.endpoints.push_back(
        {.address = {"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), 8080},
         .weight = static_cast<std::uint32_t>((i % 5) + 1)});
  }
  const std::unique_ptr<bulwark::upstream::Balancer> picker =
      bulwark::upstream::make_balancer(cluster, 0);
  std::vector<std::string> keys;
  keys.reserve(1024);
  for (int i = 0; i < 1024; ++i)
    keys.push_back("192.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  std::size_t n = 0;
  for (auto _ : state) {
    const std::string& key = keys[n++ & 1023U];
    const PickContext context{.client_address = key, .hash_key = key};
    const std::size_t endpoint = picker->pick(context);
    picker->on_request_start(endpoint);
    picker->on_request_end(endpoint, std::chrono::microseconds(500 + (n & 255U)), true);
    benchmark::DoNotOptimize(endpoint);
  }
}

}  // namespace

BENCHMARK_CAPTURE(pick, round_robin, "round_robin")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, weighted_round_robin, "weighted_round_robin")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, least_request, "least_request")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, p2c_ewma, "p2c_ewma")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, random, "random")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, source_ip_hash, "source_ip_hash")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, consistent_hash, "consistent_hash")->Arg(3)->Arg(1000);

BENCHMARK_MAIN();
