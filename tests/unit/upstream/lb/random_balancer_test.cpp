#include "upstream/lb/random_balancer.h"

#include <gtest/gtest.h>

#include "balancer_fixture.h"

namespace bulwark::upstream {
namespace {

using testing::count_picks;
using testing::Endpoints;
using testing::expect_shares;

TEST(RandomBalancerTest, SharesWithinTwoPercentOfTheWeights) {
  const std::vector<std::uint32_t> weights{1, 2, 3, 4};
  Endpoints endpoints(weights);
  RandomBalancer balancer(endpoints.get(), 42);
  expect_shares(count_picks(balancer, 4, 100'000), weights, 0.02);
}

TEST(RandomBalancerTest, SameSeedSameSequenceOtherSeedAnother) {
  Endpoints endpoints({1, 1, 1, 1, 1, 1, 1, 1});
  RandomBalancer a(endpoints.get(), 7);
  RandomBalancer b(endpoints.get(), 7);
  RandomBalancer c(endpoints.get(), 8);
  int differences = 0;
  for (int i = 0; i < 100; ++i) {
    const std::size_t pick = a.pick({});
    EXPECT_EQ(pick, b.pick({}));
    differences += static_cast<int>(pick != c.pick({}));
  }
  EXPECT_GT(differences, 50);
}

TEST(RandomBalancerTest, ZeroShareNeverPickedAndSingleAlwaysPicked) {
  Endpoints one({5});
  RandomBalancer balancer(one.get(), 1);
  EXPECT_EQ(count_picks(balancer, 1, 100), (std::vector<int>{100}));
}

TEST(RandomBalancerTest, FindWeightedMapsPointsToRanges) {
  const std::vector<std::uint64_t> cumulative{2, 3, 6};
  EXPECT_EQ(find_weighted(cumulative, 0), 0U);
  EXPECT_EQ(find_weighted(cumulative, 1), 0U);
  EXPECT_EQ(find_weighted(cumulative, 2), 1U);
  EXPECT_EQ(find_weighted(cumulative, 3), 2U);
  EXPECT_EQ(find_weighted(cumulative, 5), 2U);
}

}  // namespace
}  // namespace bulwark::upstream
