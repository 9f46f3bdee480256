#include "upstream/pool_directory.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <thread>
#include <vector>

namespace bulwark::upstream {
namespace {

using asio::ip::tcp;

tcp::endpoint ep(const char* address, unsigned short port) {
  return {asio::ip::make_address(address), port};
}

TEST(PoolDirectoryTest, WorkersIsTheNumberOfLoops) {
  asio::io_context a, b, c;
  PoolDirectory directory;
  EXPECT_EQ(directory.workers(), 0u);
  directory.set_loops({&a, &b, &c});
  EXPECT_EQ(directory.workers(), 3u);
}

TEST(PoolDirectoryTest, SlotsHaveOneEntryPerWorkerWithItsLoop) {
  asio::io_context a, b;
  PoolDirectory directory;
  directory.set_loops({&a, &b});
  EndpointSlots& slots = directory.slots_for(ep("127.0.0.1", 8080));
  ASSERT_EQ(slots.slots.size(), 2u);
  EXPECT_EQ(slots.slots[0].io, &a);
  EXPECT_EQ(slots.slots[1].io, &b);
  for (const PoolSlot& slot : slots.slots) {
    EXPECT_EQ(slot.pool.load(), nullptr);
    EXPECT_EQ(slot.idle_count.load(), 0u);
  }
}

TEST(PoolDirectoryTest, SameEndpointGivesTheSameSlots) {
  asio::io_context a;
  PoolDirectory directory;
  directory.set_loops({&a});
  EndpointSlots& first = directory.slots_for(ep("127.0.0.1", 8080));
  first.slots[0].idle_count.store(5);
  EndpointSlots& second = directory.slots_for(ep("127.0.0.1", 8080));
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(second.slots[0].idle_count.load(), 5u);
}

TEST(PoolDirectoryTest, DifferentEndpointsGetDifferentSlots) {
  asio::io_context a;
  PoolDirectory directory;
  directory.set_loops({&a});
  EndpointSlots& base = directory.slots_for(ep("127.0.0.1", 8080));
  EXPECT_NE(&base, &directory.slots_for(ep("127.0.0.1", 8081)));
  EXPECT_NE(&base, &directory.slots_for(ep("127.0.0.2", 8080)));
  EXPECT_NE(&base, &directory.slots_for(ep("::1", 8080)));
}

TEST(PoolDirectoryTest, SlotsStayAtTheirAddressWhenMoreEndpointsAreAdded) {
  asio::io_context a;
  PoolDirectory directory;
  directory.set_loops({&a});
  EndpointSlots* first = &directory.slots_for(ep("10.0.0.1", 80));
  for (unsigned short port = 1; port < 200; ++port)
    directory.slots_for(ep("10.0.0.2", port));
  EXPECT_EQ(first, &directory.slots_for(ep("10.0.0.1", 80)));
}

TEST(PoolDirectoryTest, ConcurrentFirstUseCreatesOneSetOfSlots) {
  asio::io_context a, b, c, d;
  PoolDirectory directory;
  directory.set_loops({&a, &b, &c, &d});
  std::vector<EndpointSlots*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 200; ++round) {
        EndpointSlots* s = &directory.slots_for(ep("192.0.2.1", 443));
        if (seen[i] == nullptr) seen[i] = s;
        EXPECT_EQ(seen[i], s);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (EndpointSlots* s : seen)
    EXPECT_EQ(s, seen[0]);
}

}  // namespace
}  // namespace bulwark::upstream
