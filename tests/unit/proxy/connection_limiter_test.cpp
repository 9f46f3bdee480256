#include "proxy/connection_limiter.h"

#include <gtest/gtest.h>

#include <asio/ip/address.hpp>
#include <atomic>
#include <thread>
#include <vector>

namespace bulwark::proxy {
namespace {

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

// How many more connections `address` may open right now (opens and closes them again).
std::size_t free_slots(ConnectionLimiter& limiter, const asio::ip::address& address,
                       std::size_t at_most) {
  std::size_t n = 0;
  while (n < at_most && limiter.try_open(address))
    ++n;
  for (std::size_t i = 0; i < n; ++i)
    limiter.close(address);
  return n;
}

TEST(ConnectionLimiterTest, EnabledOnlyWithANonZeroLimit) {
  EXPECT_FALSE(ConnectionLimiter(0).enabled());
  EXPECT_TRUE(ConnectionLimiter(1).enabled());
  EXPECT_TRUE(ConnectionLimiter(1000).enabled());
}

TEST(ConnectionLimiterTest, RefusesBeyondTheLimitPerIp) {
  ConnectionLimiter limiter(2);
  const auto a = ip("192.0.2.1");
  EXPECT_TRUE(limiter.try_open(a));
  EXPECT_TRUE(limiter.try_open(a));
  EXPECT_FALSE(limiter.try_open(a));
  EXPECT_FALSE(limiter.try_open(a));
}

TEST(ConnectionLimiterTest, DifferentIpsAreCountedIndependently) {
  ConnectionLimiter limiter(1);
  EXPECT_TRUE(limiter.try_open(ip("192.0.2.1")));
  EXPECT_TRUE(limiter.try_open(ip("192.0.2.2")));
  EXPECT_TRUE(limiter.try_open(ip("2001:db8::1")));
  EXPECT_FALSE(limiter.try_open(ip("192.0.2.1")));
  EXPECT_FALSE(limiter.try_open(ip("192.0.2.2")));
  EXPECT_FALSE(limiter.try_open(ip("2001:db8::1")));
}

TEST(ConnectionLimiterTest, ManyIpsAcrossShardsEachGetTheirOwnLimit) {
  ConnectionLimiter limiter(2);
  std::vector<asio::ip::address> ips;
  for (int i = 1; i <= 100; ++i)
    ips.push_back(asio::ip::make_address_v4(0x0A000000u + static_cast<unsigned>(i)));
  for (const auto& a : ips) {
    EXPECT_TRUE(limiter.try_open(a));
    EXPECT_TRUE(limiter.try_open(a));
  }
  for (const auto& a : ips)
    EXPECT_FALSE(limiter.try_open(a)) << a.to_string();
}

TEST(ConnectionLimiterTest, CloseFreesASlot) {
  ConnectionLimiter limiter(1);
  const auto a = ip("192.0.2.1");
  ASSERT_TRUE(limiter.try_open(a));
  ASSERT_FALSE(limiter.try_open(a));
  limiter.close(a);
  EXPECT_TRUE(limiter.try_open(a));
  EXPECT_FALSE(limiter.try_open(a));
}

TEST(ConnectionLimiterTest, RefusedAttemptsAreNotCounted) {
  ConnectionLimiter limiter(2);
  const auto a = ip("192.0.2.1");
  ASSERT_TRUE(limiter.try_open(a));
  ASSERT_TRUE(limiter.try_open(a));
  for (int i = 0; i < 5; ++i)
    ASSERT_FALSE(limiter.try_open(a));
  limiter.close(a);
  EXPECT_TRUE(limiter.try_open(a));  // one close is enough after any number of refusals
}

TEST(ConnectionLimiterTest, ClosingAllConnectionsRestoresTheFullLimit) {
  ConnectionLimiter limiter(3);
  const auto a = ip("192.0.2.1");
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(limiter.try_open(a));
  for (int i = 0; i < 3; ++i)
    limiter.close(a);
  EXPECT_EQ(free_slots(limiter, a, 10), 3u);
}

TEST(ConnectionLimiterTest, CloseOfUnknownIpDoesNotCreateCredit) {
  ConnectionLimiter limiter(1);
  const auto a = ip("192.0.2.1");
  limiter.close(a);
  limiter.close(a);
  EXPECT_EQ(free_slots(limiter, a, 10), 1u);
}

TEST(ConnectionLimiterTest, ExtraCloseAfterBalancedUseDoesNotCreateCredit) {
  ConnectionLimiter limiter(2);
  const auto a = ip("192.0.2.1");
  ASSERT_TRUE(limiter.try_open(a));
  limiter.close(a);
  limiter.close(a);
  EXPECT_EQ(free_slots(limiter, a, 10), 2u);
}

TEST(ConnectionLimiterTest, ClosingOneIpDoesNotFreeAnother) {
  ConnectionLimiter limiter(1);
  const auto a = ip("192.0.2.1");
  const auto b = ip("192.0.2.2");
  ASSERT_TRUE(limiter.try_open(a));
  ASSERT_TRUE(limiter.try_open(b));
  limiter.close(b);
  EXPECT_FALSE(limiter.try_open(a));
  EXPECT_TRUE(limiter.try_open(b));
}

TEST(ConnectionLimiterTest, ConcurrentOpensNeverExceedTheLimit) {
  constexpr std::size_t kLimit = 100;
  ConnectionLimiter limiter(kLimit);
  const auto a = ip("198.51.100.9");
  std::atomic<std::size_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.try_open(a)) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(admitted.load(), kLimit);
}

TEST(ConnectionLimiterTest, ConcurrentOpenCloseKeepsExactCounts) {
  constexpr std::size_t kLimit = 8;
  ConnectionLimiter limiter(kLimit);
  const std::vector<asio::ip::address> ips = {ip("10.0.0.1"), ip("10.0.0.2"), ip("::1"),
                                              ip("10.0.0.3")};
  std::atomic<int> over_limit{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const auto& a = ips[static_cast<std::size_t>(i + t) % ips.size()];
        // Each thread holds at most 2 per IP, 4 threads: at most 8 = the limit, so never refused.
        if (!limiter.try_open(a)) over_limit.fetch_add(1);
        if (!limiter.try_open(a)) over_limit.fetch_add(1);
        limiter.close(a);
        limiter.close(a);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(over_limit.load(), 0);
  for (const auto& a : ips)
    EXPECT_EQ(free_slots(limiter, a, 100), kLimit) << a.to_string();
}

TEST(ConnectionLimiterTest, ConcurrentHoldersAreEachCountedOnce) {
  // Four threads each take 3 slots of the same IP and keep them: 12 of 12 admitted, then full.
  constexpr std::size_t kLimit = 12;
  ConnectionLimiter limiter(kLimit);
  const auto a = ip("203.0.113.5");
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        if (limiter.try_open(a)) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(admitted.load(), 12);
  EXPECT_FALSE(limiter.try_open(a));
}

}  // namespace
}  // namespace bulwark::proxy
