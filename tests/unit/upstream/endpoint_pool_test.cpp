#include "upstream/endpoint_pool.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "loopback.h"

namespace bulwark::upstream {
namespace {

using namespace pooltest;

class EndpointPoolTest : public ::testing::Test {
 protected:
  EndpointPoolTest() { slots_.slots[0].io = &io_; }

  EndpointPool& pool() {
    if (!pool_) pool_.emplace(io_, 0, server_.endpoint(), settings_, slots_);
    return *pool_;
  }
  ConnectionPtr connect_one(std::optional<tcp::socket>& server_side) {
    return connect(pool(), server_, server_side);
  }
  std::uint32_t published_idle() const {
    return slots_.slots[0].idle_count.load(std::memory_order_relaxed);
  }

  LoopbackServer server_;
  asio::io_context io_;
  EndpointSlots slots_{1};
  config::PoolSettings settings_;
  std::optional<EndpointPool> pool_;  // last: destroyed before the loop and the slots
};

TEST_F(EndpointPoolTest, ConstructorRegistersInItsSlotAndDestructorUnregisters) {
  EXPECT_EQ(slots_.slots[0].pool.load(), nullptr);
  EndpointPool& p = pool();
  EXPECT_EQ(slots_.slots[0].pool.load(), &p);
  EXPECT_EQ(p.endpoint(), server_.endpoint());
  pool_.reset();
  EXPECT_EQ(slots_.slots[0].pool.load(), nullptr);
}

TEST_F(EndpointPoolTest, MakeConnectionGivesUnconnectedSocketsWithUniqueIds) {
  ConnectionPtr a = pool().make_connection();
  ConnectionPtr b = pool().make_connection();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->id, b->id);
  EXPECT_NE(a->id, 0u);
  EXPECT_FALSE(a->transport.socket().is_open());
  EXPECT_EQ(a->requests, 0u);
  EXPECT_EQ(pool().connections_opened(), 2u);
  EXPECT_EQ(pool().idle_count(), 0u);
}

TEST_F(EndpointPoolTest, TakeIdleOnEmptyPoolIsNull) {
  EXPECT_EQ(pool().take_idle(), nullptr);
}

TEST_F(EndpointPoolTest, PutIdleThenTakeIdleIsLastInFirstOut) {
  std::optional<tcp::socket> s1, s2, s3;
  ConnectionPtr c1 = connect_one(s1);
  ConnectionPtr c2 = connect_one(s2);
  ConnectionPtr c3 = connect_one(s3);
  const auto id1 = c1->id, id2 = c2->id, id3 = c3->id;
  pool().put_idle(std::move(c1));
  pool().put_idle(std::move(c2));
  pool().put_idle(std::move(c3));
  EXPECT_EQ(pool().idle_count(), 3u);
  EXPECT_EQ(published_idle(), 3u);

  ConnectionPtr t = pool().take_idle();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, id3);
  EXPECT_EQ(published_idle(), 2u);
  EXPECT_EQ(pool().take_idle()->id, id2);
  EXPECT_EQ(pool().take_idle()->id, id1);
  EXPECT_EQ(pool().take_idle(), nullptr);
  EXPECT_EQ(pool().idle_count(), 0u);
  EXPECT_EQ(published_idle(), 0u);
}

TEST_F(EndpointPoolTest, ParkedConnectionStaysOpenAndUsable) {
  std::optional<tcp::socket> server_side;
  ConnectionPtr c = connect_one(server_side);
  pool().put_idle(std::move(c));
  io_.poll();
  EXPECT_TRUE(stays_open(*server_side));
  ConnectionPtr back = pool().take_idle();
  ASSERT_NE(back, nullptr);
  send_all(back->transport.socket().native_handle(), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read_within(server_side->native_handle()), "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(EndpointPoolTest, PutIdleRecordsWhenTheConnectionWasParked) {
  std::optional<tcp::socket> server_side;
  ConnectionPtr c = connect_one(server_side);
  const auto before = core::Clock::now();
  pool().put_idle(std::move(c));
  const auto after = core::Clock::now();
  ConnectionPtr back = pool().take_idle();
  EXPECT_GE(back->idle_since, before);
  EXPECT_LE(back->idle_since, after);
}

TEST_F(EndpointPoolTest, MaxIdlePerEndpointEvictsTheOldest) {
  settings_.max_idle_per_endpoint = 2;
  std::optional<tcp::socket> s1, s2, s3;
  ConnectionPtr c1 = connect_one(s1);
  ConnectionPtr c2 = connect_one(s2);
  ConnectionPtr c3 = connect_one(s3);
  const auto id2 = c2->id, id3 = c3->id;
  pool().put_idle(std::move(c1));
  pool().put_idle(std::move(c2));
  pool().expire_idle(core::Clock::now());  // the oldest is watched when it is evicted
  pool().put_idle(std::move(c3));
  EXPECT_EQ(pool().idle_count(), 2u);
  EXPECT_EQ(published_idle(), 2u);
  EXPECT_TRUE(sees_close(*s1));  // the evicted connection was closed, not leaked
  EXPECT_TRUE(stays_open(*s2));
  EXPECT_TRUE(stays_open(*s3));
  EXPECT_EQ(pool().take_idle()->id, id3);
  EXPECT_EQ(pool().take_idle()->id, id2);
}

TEST_F(EndpointPoolTest, MaxIdleZeroClosesInsteadOfParking) {
  settings_.max_idle_per_endpoint = 0;
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  EXPECT_EQ(pool().idle_count(), 0u);
  EXPECT_EQ(published_idle(), 0u);
  EXPECT_TRUE(sees_close(*server_side));
}

TEST_F(EndpointPoolTest, ExpireIdleClosesOnlyConnectionsIdleLongerThanTheTimeout) {
  settings_.idle_timeout = config::Duration(1000);
  std::optional<tcp::socket> s_old, s_new;
  ConnectionPtr c_old = connect_one(s_old);
  ConnectionPtr c_new = connect_one(s_new);
  const auto new_id = c_new->id;
  pool().put_idle(std::move(c_old));
  const auto between = core::Clock::now();
  std::this_thread::sleep_for(2ms);
  pool().put_idle(std::move(c_new));

  pool().expire_idle(between);  // nobody idle for a whole second yet
  EXPECT_EQ(pool().idle_count(), 2u);

  pool().expire_idle(between + settings_.idle_timeout);
  EXPECT_EQ(pool().idle_count(), 1u);
  EXPECT_EQ(published_idle(), 1u);
  EXPECT_TRUE(sees_close(*s_old));
  EXPECT_TRUE(stays_open(*s_new));
  EXPECT_EQ(pool().take_idle()->id, new_id);
}

TEST_F(EndpointPoolTest, ExpireIdleClosesEverythingPastTheTimeout) {
  std::optional<tcp::socket> s1, s2;
  pool().put_idle(connect_one(s1));
  pool().put_idle(connect_one(s2));
  pool().expire_idle(core::Clock::now() + settings_.idle_timeout + 1ms);
  EXPECT_EQ(pool().idle_count(), 0u);
  EXPECT_EQ(published_idle(), 0u);
  EXPECT_TRUE(sees_close(*s1));
  EXPECT_TRUE(sees_close(*s2));
}

TEST_F(EndpointPoolTest, ExpireIdleOnEmptyPoolDoesNothing) {
  pool().expire_idle(core::Clock::now() + std::chrono::hours(1));
  EXPECT_EQ(pool().idle_count(), 0u);
}

// The worker's tick: nothing is old enough to expire, but parked connections start being watched.
void tick(EndpointPool& pool) {
  pool.expire_idle(core::Clock::now());
}

TEST_F(EndpointPoolTest, ExpireIdleMarksRemainingConnectionsWatched) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  tick(pool());
  ConnectionPtr c = pool().take_idle();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->watched);
  pool().put_idle(std::move(c));  // parking again resets it
  c = pool().take_idle();
  EXPECT_FALSE(c->watched);
}

TEST_F(EndpointPoolTest, IdleConnectionClosedByThePeerIsDropped) {
  std::optional<tcp::socket> s1, s2;
  ConnectionPtr c1 = connect_one(s1);
  ConnectionPtr c2 = connect_one(s2);
  const auto id2 = c2->id;
  pool().put_idle(std::move(c1));
  pool().put_idle(std::move(c2));
  tick(pool());
  s1->close();
  ASSERT_TRUE(run_until(io_, [&] { return pool().idle_count() == 1; }));
  EXPECT_EQ(published_idle(), 1u);
  ConnectionPtr survivor = pool().take_idle();
  ASSERT_NE(survivor, nullptr);
  EXPECT_EQ(survivor->id, id2);
}

TEST_F(EndpointPoolTest, CloseBeforeTheFirstTickIsCaughtByTheTick) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  server_side->close();
  io_.restart();
  io_.run_for(20ms);
  EXPECT_EQ(pool().idle_count(), 1u);  // not watched yet: the documented window
  tick(pool());
  EXPECT_TRUE(run_until(io_, [&] { return pool().idle_count() == 0; }));
  EXPECT_EQ(published_idle(), 0u);
}

TEST_F(EndpointPoolTest, IdleConnectionThatReceivesUnaskedBytesIsDropped) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  tick(pool());
  send_all(server_side->native_handle(), "HTTP/1.1 408 Request Timeout\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return pool().idle_count() == 0; }));
  EXPECT_EQ(published_idle(), 0u);
  EXPECT_TRUE(sees_close(*server_side));  // dropped means closed
}

TEST_F(EndpointPoolTest, RepeatedTicksDoNotDisturbAWatchedConnection) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  for (int i = 0; i < 5; ++i) {
    tick(pool());
    io_.restart();
    io_.run_for(2ms);
  }
  EXPECT_EQ(pool().idle_count(), 1u);
  EXPECT_TRUE(stays_open(*server_side));
  server_side->close();
  EXPECT_TRUE(run_until(io_, [&] { return pool().idle_count() == 0; }));
}

TEST_F(EndpointPoolTest, TakenConnectionIsNoLongerWatched) {
  std::optional<tcp::socket> s1, s2;
  pool().put_idle(connect_one(s1));
  pool().put_idle(connect_one(s2));
  tick(pool());
  ConnectionPtr taken = pool().take_idle();  // the one of s2
  s2->close();
  io_.restart();
  io_.run_for(30ms);
  EXPECT_EQ(pool().idle_count(), 1u);  // the other idle connection is untouched
  EXPECT_TRUE(taken->transport.socket().is_open());
}

TEST_F(EndpointPoolTest, CancelledWatchDoesNotEatTheResponsesFirstByte) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  tick(pool());
  ConnectionPtr taken = pool().take_idle();
  io_.restart();
  io_.run_for(10ms);  // the cancelled watch completes
  send_all(server_side->native_handle(), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(read_within(taken->transport.socket().native_handle()), "HTTP/1.1 200 OK\r\n");
}

TEST_F(EndpointPoolTest, ReparkedConnectionIsNotDroppedByItsEarlierWatch) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  tick(pool());
  ConnectionPtr c = pool().take_idle();
  pool().put_idle(std::move(c));
  io_.restart();
  io_.run_for(30ms);  // the cancelled first watch completes here
  EXPECT_EQ(pool().idle_count(), 1u);
  EXPECT_TRUE(stays_open(*server_side));
  // The next tick watches it again.
  tick(pool());
  server_side->close();
  EXPECT_TRUE(run_until(io_, [&] { return pool().idle_count() == 0; }));
}

TEST_F(EndpointPoolTest, CloseAllClosesEveryIdleConnection) {
  std::optional<tcp::socket> s1, s2;
  pool().put_idle(connect_one(s1));
  pool().put_idle(connect_one(s2));
  tick(pool());  // with their watch reads pending
  pool().close_all();
  EXPECT_EQ(pool().idle_count(), 0u);
  EXPECT_EQ(published_idle(), 0u);
  EXPECT_TRUE(sees_close(*s1));
  EXPECT_TRUE(sees_close(*s2));
  EXPECT_EQ(pool().take_idle(), nullptr);
}

TEST_F(EndpointPoolTest, DestructorClosesIdleConnections) {
  std::optional<tcp::socket> server_side;
  pool().put_idle(connect_one(server_side));
  pool().expire_idle(core::Clock::now());
  pool_.reset();
  EXPECT_TRUE(sees_close(*server_side));
}

// ---- stealing across workers --------------------------------------------------------------------

class EndpointPoolStealTest : public ::testing::Test {
 protected:
  EndpointPoolStealTest() {
    slots_.slots[0].io = &io_a_;
    slots_.slots[1].io = &io_b_;
  }
  ~EndpointPoolStealTest() override { stop_a(); }

  void make_pools() {
    pool_a_.emplace(io_a_, 0, server_.endpoint(), settings_, slots_);
    pool_b_.emplace(io_b_, 1, server_.endpoint(), settings_, slots_);
  }
  // Worker A's loop on its own thread, as in the server.
  void start_a() {
    guard_.emplace(io_a_.get_executor());
    thread_a_ = std::thread([this] { io_a_.run(); });
  }
  void stop_a() {
    if (!thread_a_.joinable()) return;
    guard_.reset();
    io_a_.stop();
    thread_a_.join();
  }
  // Runs steal_from_peers on worker B's loop (this thread) to completion.
  ConnectionPtr steal_on_b() {
    bool done = false;
    ConnectionPtr result;
    asio::co_spawn(io_b_, pool_b_->steal_from_peers(),
                   [&](std::exception_ptr error, ConnectionPtr connection) {
                     EXPECT_FALSE(error);
                     result = std::move(connection);
                     done = true;
                   });
    EXPECT_TRUE(run_until(io_b_, [&] { return done; }));
    return result;
  }
  std::uint32_t published_idle(std::size_t worker) const {
    return slots_.slots[worker].idle_count.load(std::memory_order_relaxed);
  }

  LoopbackServer server_;
  asio::io_context io_a_;
  asio::io_context io_b_;
  EndpointSlots slots_{2};
  config::PoolSettings settings_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_a_;
  std::optional<EndpointPool> pool_a_;  // destroyed before the loops
  std::optional<EndpointPool> pool_b_;
};

TEST_F(EndpointPoolStealTest, MovesAnIdleConnectionFromAPeerThatStillTalksToTheSameServerSocket) {
  make_pools();
  std::optional<tcp::socket> server_side;
  ConnectionPtr original = connect(*pool_a_, server_, server_side);
  const tcp::endpoint local = original->transport.socket().local_endpoint();
  pool_a_->put_idle(std::move(original));
  start_a();

  ConnectionPtr stolen = steal_on_b();
  stop_a();
  ASSERT_NE(stolen, nullptr);
  EXPECT_EQ(pool_a_->idle_count(), 0u);
  EXPECT_EQ(published_idle(0), 0u);
  EXPECT_EQ(pool_b_->connections_stolen(), 1u);
  EXPECT_EQ(pool_b_->connections_opened(), 0u);
  EXPECT_EQ(stolen->requests, 1u);  // marked as reused
  ASSERT_TRUE(stolen->transport.socket().is_open());
  EXPECT_EQ(stolen->transport.socket().local_endpoint(), local);
  EXPECT_EQ(server_side->remote_endpoint(), local);

  send_all(stolen->transport.socket().native_handle(), "ping");
  EXPECT_EQ(read_within(server_side->native_handle()), "ping");
  send_all(server_side->native_handle(), "pong");
  EXPECT_EQ(read_within(stolen->transport.socket().native_handle()), "pong");
}

TEST_F(EndpointPoolStealTest, StealsAWatchedConnectionWithoutLosingBytes) {
  make_pools();
  std::optional<tcp::socket> server_side;
  pool_a_->put_idle(connect(*pool_a_, server_, server_side));
  pool_a_->expire_idle(core::Clock::now());  // A's tick: the watch read is pending
  start_a();
  ConnectionPtr stolen = steal_on_b();
  stop_a();
  ASSERT_NE(stolen, nullptr);
  send_all(server_side->native_handle(), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(read_within(stolen->transport.socket().native_handle()),
            "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST_F(EndpointPoolStealTest, StolenSocketWorksWithWorkerBsLoop) {
  make_pools();
  std::optional<tcp::socket> server_side;
  pool_a_->put_idle(connect(*pool_a_, server_, server_side));
  start_a();
  ConnectionPtr stolen = steal_on_b();
  stop_a();
  ASSERT_NE(stolen, nullptr);
  // Parked on B, its close watch runs on B's loop.
  pool_b_->put_idle(std::move(stolen));
  EXPECT_EQ(pool_b_->idle_count(), 1u);
  EXPECT_EQ(published_idle(1), 1u);
  pool_b_->expire_idle(core::Clock::now());
  server_side->close();
  EXPECT_TRUE(run_until(io_b_, [&] { return pool_b_->idle_count() == 0; }));
}

TEST_F(EndpointPoolStealTest, TakesThePeersMostRecentlyParkedConnection) {
  make_pools();
  std::optional<tcp::socket> s1, s2;
  ConnectionPtr c1 = connect(*pool_a_, server_, s1);
  ConnectionPtr c2 = connect(*pool_a_, server_, s2);
  const tcp::endpoint local2 = c2->transport.socket().local_endpoint();
  pool_a_->put_idle(std::move(c1));
  pool_a_->put_idle(std::move(c2));
  start_a();
  ConnectionPtr stolen = steal_on_b();
  stop_a();
  ASSERT_NE(stolen, nullptr);
  EXPECT_EQ(stolen->transport.socket().local_endpoint(), local2);
  EXPECT_EQ(pool_a_->idle_count(), 1u);
  EXPECT_EQ(published_idle(0), 1u);
  EXPECT_TRUE(stays_open(*s1));
}

TEST_F(EndpointPoolStealTest, ReturnsNullWhenPeersHaveNoIdleConnection) {
  make_pools();
  start_a();
  EXPECT_EQ(steal_on_b(), nullptr);
  EXPECT_EQ(pool_b_->connections_stolen(), 0u);
}

TEST_F(EndpointPoolStealTest, ReturnsNullWhenThePeersCountWasStale) {
  make_pools();
  slots_.slots[0].idle_count.store(3);  // says 3, has none
  start_a();
  EXPECT_EQ(steal_on_b(), nullptr);
  stop_a();
  EXPECT_EQ(published_idle(0), 0u);  // corrected by the peer
}

TEST_F(EndpointPoolStealTest, ReturnsNullWhenThePeerHasNoPool) {
  pool_b_.emplace(io_b_, 1, server_.endpoint(), settings_, slots_);
  slots_.slots[0].idle_count.store(1);  // a peer whose pool is gone
  start_a();
  EXPECT_EQ(steal_on_b(), nullptr);
}

TEST_F(EndpointPoolStealTest, DoesNotStealFromItself) {
  make_pools();
  std::optional<tcp::socket> server_side;
  pool_b_->put_idle(connect(*pool_b_, server_, server_side));
  start_a();
  EXPECT_EQ(steal_on_b(), nullptr);
  EXPECT_EQ(pool_b_->idle_count(), 1u);
}

TEST_F(EndpointPoolStealTest, StealsFromAnyPeer) {
  // Three workers: B (index 1) steals from C (index 2) while A (index 0) has nothing.
  EndpointSlots slots(3);
  asio::io_context io_c;
  slots.slots[0].io = &io_a_;
  slots.slots[1].io = &io_b_;
  slots.slots[2].io = &io_c;
  std::optional<tcp::socket> server_side;
  {
    EndpointPool a(io_a_, 0, server_.endpoint(), settings_, slots);
    EndpointPool b(io_b_, 1, server_.endpoint(), settings_, slots);
    EndpointPool c(io_c, 2, server_.endpoint(), settings_, slots);
    c.put_idle(connect(c, server_, server_side));
    auto guard_c = asio::make_work_guard(io_c);
    std::thread thread_c([&] { io_c.run(); });
    bool done = false;
    ConnectionPtr stolen;
    asio::co_spawn(io_b_, b.steal_from_peers(), [&](std::exception_ptr, ConnectionPtr conn) {
      stolen = std::move(conn);
      done = true;
    });
    EXPECT_TRUE(run_until(io_b_, [&] { return done; }));
    guard_c.reset();
    io_c.stop();
    thread_c.join();
    ASSERT_NE(stolen, nullptr);
    EXPECT_EQ(c.idle_count(), 0u);
    send_all(stolen->transport.socket().native_handle(), "x");
    EXPECT_EQ(read_within(server_side->native_handle()), "x");
  }
}

}  // namespace
}  // namespace bulwark::upstream
