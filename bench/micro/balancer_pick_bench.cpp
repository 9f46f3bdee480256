// Cost of one balancer pick (issue 4), with 3 and 1,000 endpoints: what every proxied request
// pays on top of the connection. Each pick is followed by the start/end hooks, as in the
// upstream leg, so the load-tracking balancers are measured with their bookkeeping. Weights vary
// (1..5) and hash keys differ per request.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "upstream/cluster.h"
#include "upstream/endpoint_picker.h"
#include "upstream/lb/balancer.h"
#include "upstream/state_board.h"
#include "upstream/sticky_cookie.h"

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

// A pick as the upstream leg makes it: through the worker's EndpointPicker, which first checks
// the shared availability epoch. One endpoint in ten is unhealthy, so the balancer works on a
// reduced set.
void picker_pick(benchmark::State& state, const char* balancer) {
  namespace up = bulwark::upstream;
  up::StateBoard board;
  bulwark::config::Cluster spec;
  spec.name = "bench";
  spec.balancer = balancer;
  up::Cluster cluster;
  cluster.name = "bench";
  cluster.counters = board.counters("bench");
  const auto count = static_cast<std::size_t>(state.range(0));
  for (std::size_t i = 0; i < count; ++i) {
    const std::string host = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    spec.endpoints.push_back({.address = {host, 8080}, .weight = 1});
    cluster.endpoints.push_back({{}, host + ":8080", board.endpoint("bench", host + ":8080"), 1});
  }
  for (std::size_t i = 0; i < count; i += 10)
    cluster.endpoints[i].state->set_healthy(false);
  up::EndpointPicker picker(spec, cluster, board, 0);
  const auto now = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const std::optional<std::size_t> endpoint = picker.pick({}, now);
    picker.on_request_start(*endpoint);
    picker.on_request_end(*endpoint, std::chrono::microseconds(500), true);
    benchmark::DoNotOptimize(endpoint);
  }
}

// Verifying a client's sticky cookie: finding it among the Cookie fields, and the comparison.
void sticky_cookie_verify(benchmark::State& state) {
  namespace up = bulwark::upstream;
  std::vector<std::string> identities;
  for (int i = 0; i < state.range(0); ++i)
    identities.push_back("10.0.0." + std::to_string(i) + ":80");
  const up::StickyCookie sticky({}, "bench", identities, std::string(32, 'k'));
  const std::string_view field = sticky.set_cookie(identities.size() - 1);
  const std::string cookie =
      "theme=dark; " + std::string(field.substr(0, field.find(';'))) + "; lang=en";
  bulwark::http::HeaderMap headers;
  headers.add("cookie", cookie);
  for (auto _ : state)
    benchmark::DoNotOptimize(sticky.endpoint_in(headers));
}

}  // namespace

BENCHMARK_CAPTURE(picker_pick, round_robin, "round_robin")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(picker_pick, least_request, "least_request")->Arg(3)->Arg(1000);
BENCHMARK(sticky_cookie_verify)->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, round_robin, "round_robin")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, weighted_round_robin, "weighted_round_robin")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, least_request, "least_request")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, p2c_ewma, "p2c_ewma")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, random, "random")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, source_ip_hash, "source_ip_hash")->Arg(3)->Arg(1000);
BENCHMARK_CAPTURE(pick, consistent_hash, "consistent_hash")->Arg(3)->Arg(1000);

BENCHMARK_MAIN();
