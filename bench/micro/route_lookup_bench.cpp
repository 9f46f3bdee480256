// Route lookup cost (issue 3): Router::route() over 10, 1,000 and 10,000 routes of mixed kinds
// in one virtual host. Every tenth route is a regex, every tenth has a method condition, every
// tenth a header condition; the rest are exact paths and prefixes; a catch-all comes last.
// Requests hit routes spread over the whole list, plus misses that fall through to the
// catch-all. A flat ns/lookup from 10 to 10,000 routes shows the index works; allocs/lookup
// counts calls to operator new per lookup (0 on the common path); router_KiB is what building
// the router and its first lookups allocated.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "router/router.h"

namespace {

std::atomic<std::uint64_t> allocations{0};
std::atomic<std::uint64_t> allocated_bytes{0};

// Out of line so that the compiler does not pair an inlined operator new with free() and warn.
[[gnu::noinline]] void release(void* p) noexcept {
  std::free(p);
}

}  // namespace

// Counts every allocation of the process; the counter is read around the timed loop only.
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
  release(p);
}

namespace bulwark::router {
namespace {

using config::PathMatchKind;

config::Route make_route(PathMatchKind kind, std::string path) {
  config::Route route;
  route.match.path_kind = kind;
  route.match.path = std::move(path);
  return route;
}

// Route i, by i % 10: 0-3 exact, 4-6 prefix, 7 regex, 8 prefix for POST/PUT, 9 exact with a
// header condition.
config::Route route_number(std::size_t i) {
  const std::string n = std::to_string(i);
  switch (i % 10) {
    case 4:
    case 5:
    case 6:
      return make_route(PathMatchKind::kPrefix, "/p" + n + "/");
    case 7:
      return make_route(PathMatchKind::kRegex, "/r" + n + "/[0-9]+/[a-z]+");
    case 8: {
      config::Route route = make_route(PathMatchKind::kPrefix, "/m" + n + "/");
      route.match.methods = {"POST", "PUT"};
      return route;
    }
    case 9: {
      config::Route route = make_route(PathMatchKind::kExact, "/h" + n + "/x");
      route.match.headers = {
          {.name = "x-tenant", .kind = config::ValueMatchKind::kExact, .value = "t" + n}};
      return route;
    }
    default:
      return make_route(PathMatchKind::kExact, "/svc" + n + "/item");
  }
}

// A request for route i (or, for i == routes, one that only the catch-all takes).
struct Request {
  std::size_t route;  // the index it must land on
  std::string target;
  std::string method = "GET";
  std::string tenant = "none";
};

Request request_for(std::size_t i, std::size_t routes) {
  const std::string n = std::to_string(i);
  if (i >= routes) return {.route = routes, .target = "/nowhere/" + n + "?q=1"};
  switch (i % 10) {
    case 4:
    case 5:
    case 6:
      return {.route = i, .target = "/p" + n + "/some/file.css"};
    case 7:
      return {.route = i, .target = "/r" + n + "/12345/abc?x=y"};
    case 8:
      return {.route = i, .target = "/m" + n + "/upload", .method = "POST"};
    case 9:
      return {.route = i, .target = "/h" + n + "/x", .tenant = "t" + n};
    default:
      return {.route = i, .target = "/svc" + n + "/item?id=7"};
  }
}

config::Listener make_listener(std::size_t routes) {
  config::VirtualHost site;
  site.domains = {"example.com", "*.example.com"};
  for (std::size_t i = 0; i < routes; ++i)
    site.routes.push_back(route_number(i));
  site.routes.push_back(make_route(PathMatchKind::kPrefix, "/"));
  config::VirtualHost other;
  other.domains = {"*"};
  other.routes.push_back(make_route(PathMatchKind::kPrefix, "/"));
  config::Listener listener;
  listener.virtual_hosts = {std::move(site), std::move(other)};
  return listener;
}

void run(benchmark::State& state, std::size_t routes, const std::vector<Request>& requests) {
  const config::Listener listener = make_listener(routes);
  const std::uint64_t bytes_before = allocated_bytes.load();
  const Router router(listener);
  std::vector<http::HeaderMap> headers(requests.size());
  std::vector<RouteQuery> queries;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    headers[i].add("host", "www.example.com");
    headers[i].add("user-agent", "bench/1.0");
    headers[i].add("accept", "*/*");
    headers[i].add("x-tenant", requests[i].tenant);
    queries.push_back({.host = "www.example.com",
                       .target = requests[i].target,
                       .method = requests[i].method,
                       .headers = &headers[i],
                       .client = asio::ip::make_address("10.1.2.3"),
                       .local_port = 443});
    // Every request must land where it was aimed: a benchmark of wrong answers measures nothing.
    const RouteHit hit = router.route(queries.back());
    if (hit.route == nullptr || hit.route_index != requests[i].route) {
      state.SkipWithError("a request did not reach its route");
      return;
    }
  }
  // What building the router took (freed memory included), RE2's lazily built automata too.
  state.counters["router_KiB"] = static_cast<double>(allocated_bytes.load() - bytes_before) / 1024;
  const std::uint64_t allocations_before = allocations.load();
  std::size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.route(queries[next]));
    next = next + 1 == queries.size() ? 0 : next + 1;
  }
  state.counters["allocs/lookup"] =
      benchmark::Counter(static_cast<double>(allocations.load() - allocations_before),
                         benchmark::Counter::kAvgIterations);
  state.counters["routes"] = static_cast<double>(routes);
}

// Requests spread over all routes, one in ten a miss to the catch-all.
void BM_RouteLookupMixed(benchmark::State& state) {
  const auto routes = static_cast<std::size_t>(state.range(0));
  std::mt19937 random(7);
  std::vector<Request> requests;
  for (int i = 0; i < 256; ++i) {
    const std::size_t target = i % 10 == 0 ? routes : random() % routes;
    requests.push_back(request_for(target, routes));
  }
  run(state, routes, requests);
}

// Only the kind named: how each path kind scales on its own.
void by_kind(benchmark::State& state, std::size_t kind) {
  const auto routes = static_cast<std::size_t>(state.range(0));
  std::mt19937 random(11);
  std::vector<Request> requests;
  while (requests.size() < 256) {
    const std::size_t target = random() % routes;
    if (target % 10 == kind) requests.push_back(request_for(target, routes));
  }
  run(state, routes, requests);
}

void BM_RouteLookupExact(benchmark::State& state) {
  by_kind(state, 0);
}
void BM_RouteLookupPrefix(benchmark::State& state) {
  by_kind(state, 4);
}
void BM_RouteLookupRegex(benchmark::State& state) {
  by_kind(state, 7);
}
void BM_RouteLookupHeader(benchmark::State& state) {
  by_kind(state, 9);
}

BENCHMARK(BM_RouteLookupMixed)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RouteLookupExact)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RouteLookupPrefix)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RouteLookupRegex)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RouteLookupHeader)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace bulwark::router

BENCHMARK_MAIN();
