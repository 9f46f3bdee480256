#include "upstream/lb/source_ip_hash_balancer.h"

#include <gtest/gtest.h>

#include <string>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using testing::Endpoints;
using testing::expect_shares;

TEST(SourceIpHashBalancerTest, SameClientSameEndpoint) {
  Endpoints endpoints({1, 1, 1, 1});
  SourceIpHashBalancer balancer(endpoints.get());
  SourceIpHashBalancer other_worker(endpoints.get());
  for (int i = 0; i < 200; ++i) {
    const std::string address = "192.0.2." + std::to_string(i);
    const PickContext context{.client_address = address};
    const std::size_t first = balancer.pick(context);
    EXPECT_EQ(balancer.pick(context), first);
    EXPECT_EQ(other_worker.pick(context), first);
  }
}

TEST(SourceIpHashBalancerTest, ClientsSpreadByWeight) {
  const std::vector<std::uint32_t> weights{1, 2, 1};
  Endpoints endpoints(weights);
  SourceIpHashBalancer balancer(endpoints.get());
  std::vector<int> hits(3, 0);
  for (int i = 0; i < 100'000; ++i) {
    const std::string address = "10." + std::to_string(i >> 16U) + "." +
                                std::to_string((i >> 8U) & 255) + "." + std::to_string(i & 255);
    ++hits[balancer.pick({.client_address = address})];
  }
  expect_shares(hits, weights, 0.02);
}

TEST(SourceIpHashBalancerTest, HashKeyIsIgnored) {
  Endpoints endpoints({1, 1, 1, 1, 1, 1, 1, 1});
  SourceIpHashBalancer balancer(endpoints.get());
  const std::size_t pick = balancer.pick({.client_address = "198.51.100.7"});
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(balancer.pick({.client_address = "198.51.100.7", .hash_key = key}), pick);
  }
}

}  // namespace
}  // namespace bulwark::upstream
