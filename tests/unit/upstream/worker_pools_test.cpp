#include "upstream/worker_pools.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <optional>

#include "loopback.h"

namespace bulwark::upstream {
namespace {

using namespace pooltest;

class WorkerPoolsTest : public ::testing::Test {
 protected:
  WorkerPoolsTest() { directory_.set_loops({&io0_, &io1_}); }

  LoopbackServer server_a_;
  LoopbackServer server_b_;
  asio::io_context io0_;
  asio::io_context io1_;
  PoolDirectory directory_;
  config::PoolSettings settings_;
  WorkerPools pools0_{io0_, 0, directory_};
  WorkerPools pools1_{io1_, 1, directory_};
};

TEST_F(WorkerPoolsTest, SameEndpointGivesTheSamePool) {
  EndpointPool& first = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& second = pools0_.pool_for(server_a_.endpoint(), settings_);
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(first.endpoint(), server_a_.endpoint());
}

TEST_F(WorkerPoolsTest, DifferentEndpointsGetDifferentPools) {
  EndpointPool& a = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& b = pools0_.pool_for(server_b_.endpoint(), settings_);
  EXPECT_NE(&a, &b);
  EXPECT_EQ(b.endpoint(), server_b_.endpoint());
}

TEST_F(WorkerPoolsTest, PoolsRegisterInTheDirectoryUnderTheirWorker) {
  EndpointPool& p0 = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& p1 = pools1_.pool_for(server_a_.endpoint(), settings_);
  EXPECT_NE(&p0, &p1);
  EndpointSlots& slots = directory_.slots_for(server_a_.endpoint());
  EXPECT_EQ(slots.slots[0].pool.load(), &p0);
  EXPECT_EQ(slots.slots[1].pool.load(), &p1);
  EXPECT_EQ(slots.slots[0].io, &io0_);
  EXPECT_EQ(slots.slots[1].io, &io1_);
}

TEST_F(WorkerPoolsTest, FirstSettingsForAnEndpointAreKept) {
  config::PoolSettings one;
  one.max_idle_per_endpoint = 1;
  EndpointPool& pool = pools0_.pool_for(server_a_.endpoint(), one);
  EXPECT_EQ(&pool, &pools0_.pool_for(server_a_.endpoint(), settings_));
  std::optional<tcp::socket> s1, s2;
  pool.put_idle(connect(pool, server_a_, s1));
  pool.put_idle(connect(pool, server_a_, s2));
  EXPECT_EQ(pool.idle_count(), 1u);
}

TEST_F(WorkerPoolsTest, ConnectionsOpenedSumsEveryPool) {
  EXPECT_EQ(pools0_.connections_opened(), 0u);
  EndpointPool& a = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& b = pools0_.pool_for(server_b_.endpoint(), settings_);
  a.make_connection();
  a.make_connection();
  b.make_connection();
  pools1_.pool_for(server_a_.endpoint(), settings_).make_connection();  // another worker
  EXPECT_EQ(pools0_.connections_opened(), 3u);
  EXPECT_EQ(pools1_.connections_opened(), 1u);
}

TEST_F(WorkerPoolsTest, ExpireIdleReachesEveryPool) {
  settings_.idle_timeout = config::Duration(1000);
  EndpointPool& a = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& b = pools0_.pool_for(server_b_.endpoint(), settings_);
  std::optional<tcp::socket> sa, sb;
  a.put_idle(connect(a, server_a_, sa));
  b.put_idle(connect(b, server_b_, sb));
  pools0_.expire_idle(core::Clock::now());
  EXPECT_EQ(a.idle_count(), 1u);
  EXPECT_EQ(b.idle_count(), 1u);
  pools0_.expire_idle(core::Clock::now() + settings_.idle_timeout + config::Duration(1));
  EXPECT_EQ(a.idle_count(), 0u);
  EXPECT_EQ(b.idle_count(), 0u);
  EXPECT_TRUE(sees_close(*sa));
  EXPECT_TRUE(sees_close(*sb));
}

TEST_F(WorkerPoolsTest, CloseAllReachesEveryPoolOfThisWorkerOnly) {
  EndpointPool& a = pools0_.pool_for(server_a_.endpoint(), settings_);
  EndpointPool& b = pools0_.pool_for(server_b_.endpoint(), settings_);
  EndpointPool& other = pools1_.pool_for(server_a_.endpoint(), settings_);
  std::optional<tcp::socket> sa, sb, so;
  a.put_idle(connect(a, server_a_, sa));
  b.put_idle(connect(b, server_b_, sb));
  other.put_idle(connect(other, server_a_, so));
  pools0_.close_all();
  EXPECT_EQ(a.idle_count(), 0u);
  EXPECT_EQ(b.idle_count(), 0u);
  EXPECT_EQ(other.idle_count(), 1u);
  EXPECT_TRUE(sees_close(*sa));
  EXPECT_TRUE(sees_close(*sb));
  EXPECT_TRUE(stays_open(*so));
}

TEST_F(WorkerPoolsTest, EmptyWorkerPoolsAreHarmless) {
  pools0_.expire_idle(core::Clock::now());
  pools0_.close_all();
  EXPECT_EQ(pools0_.connections_opened(), 0u);
}

}  // namespace
}  // namespace bulwark::upstream
