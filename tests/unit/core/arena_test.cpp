#include "core/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::core {
namespace {

bool inside(const Arena& arena, const void* p) {
  const auto* begin = reinterpret_cast<const std::byte*>(&arena);
  const auto* end = begin + sizeof(Arena);
  const auto* q = static_cast<const std::byte*>(p);
  return q >= begin && q < end;
}

TEST(ArenaTest, CopyReturnsEqualBytesAtANewAddress) {
  Arena arena;
  const std::string source = "x-forwarded-for";
  const std::string_view copy = arena.copy(source);
  EXPECT_EQ(copy, "x-forwarded-for");
  EXPECT_NE(copy.data(), source.data());
}

TEST(ArenaTest, CopySurvivesTheSourceGoingAway) {
  Arena arena;
  std::string_view copy;
  {
    std::string source(100, 'q');
    copy = arena.copy(source);
    source.assign(100, 'z');
  }
  EXPECT_EQ(copy, std::string(100, 'q'));
}

TEST(ArenaTest, CopyOfEmptyIsEmpty) {
  Arena arena;
  EXPECT_TRUE(arena.copy("").empty());
  EXPECT_TRUE(arena.copy(std::string_view{}).empty());
}

TEST(ArenaTest, SmallAllocationsComeFromTheInlineBlock) {
  Arena arena;
  EXPECT_TRUE(inside(arena, arena.copy("hello").data()));
  EXPECT_TRUE(inside(arena, arena.make<int>(7)));
}

TEST(ArenaTest, CopiesDoNotOverlap) {
  Arena arena;
  const std::string_view a = arena.copy("aaaa");
  const std::string_view b = arena.copy("bbbb");
  EXPECT_EQ(a, "aaaa");
  EXPECT_EQ(b, "bbbb");
  EXPECT_TRUE(a.data() + a.size() <= b.data() || b.data() + b.size() <= a.data());
}

TEST(ArenaTest, MakeConstructsWithArguments) {
  struct Pair {
    Pair(int a, std::string_view b) : first(a), second(b) {}
    int first;
    std::string_view second;
  };
  Arena arena;
  Pair* p = arena.make<Pair>(42, "forty-two");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->first, 42);
  EXPECT_EQ(p->second, "forty-two");
}

TEST(ArenaTest, MakeRespectsAlignment) {
  struct alignas(64) Wide {
    std::uint8_t bytes[64];
  };
  Arena arena;
  arena.copy("x");  // misalign the bump pointer first
  Wide* w = arena.make<Wide>();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w) % 64, 0u);
  auto* d = arena.make<double>(1.5);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d) % alignof(double), 0u);
  EXPECT_EQ(*d, 1.5);
}

TEST(ArenaTest, MakeRunsNonTrivialDestructorOnlyWhenAsked) {
  struct Counted {
    explicit Counted(int* c) : counter(c) {}
    ~Counted() { ++*counter; }
    int* counter;
  };
  int destroyed = 0;
  {
    Arena arena;
    Counted* c = arena.make<Counted>(&destroyed);
    EXPECT_EQ(destroyed, 0);
    std::destroy_at(c);
    EXPECT_EQ(destroyed, 1);
    arena.make<Counted>(&destroyed);  // never destroyed explicitly
    arena.reset();
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(ArenaTest, AllocationLargerThanTheInlineBlockWorks) {
  Arena arena;
  const std::string big(Arena::kInlineBytes * 4, 'b');
  const std::string_view copy = arena.copy(big);
  EXPECT_EQ(copy, big);
  EXPECT_FALSE(inside(arena, copy.data()));
}

TEST(ArenaTest, ManyAllocationsBeyondTheInlineBlockStayIntact) {
  Arena arena;
  std::vector<std::string_view> copies;
  for (int i = 0; i < 500; ++i)
    copies.push_back(arena.copy("value-" + std::to_string(i)));
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(copies[static_cast<std::size_t>(i)], "value-" + std::to_string(i));
}

TEST(ArenaTest, ResetKeepsTheArenaUsableAndReusesTheInlineBlock) {
  Arena arena;
  const void* first = arena.copy("first").data();
  for (int i = 0; i < 100; ++i)
    arena.copy(std::string(100, 'x'));  // spills to the heap
  arena.reset();
  const std::string_view again = arena.copy("second");
  EXPECT_EQ(again, "second");
  EXPECT_TRUE(inside(arena, again.data()));
  EXPECT_EQ(again.data(), first);
}

TEST(ArenaTest, ResetRepeatedlyWithHeapSpillDoesNotLeak) {
  Arena arena;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 20; ++i)
      arena.copy(std::string(1000, static_cast<char>('a' + round)));
    const std::string_view check = arena.copy(std::string(3000, 'z'));
    EXPECT_EQ(check, std::string(3000, 'z'));
    arena.reset();
  }
}

TEST(ArenaTest, AllocateReturnsAlignedWritableMemory) {
  Arena arena;
  void* p = arena.allocate(24, 8);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);
  std::memset(p, 0xAB, 24);
  EXPECT_EQ(static_cast<unsigned char*>(p)[23], 0xAB);
}

TEST(ArenaTest, ResourceServesPmrContainers) {
  Arena arena;
  std::pmr::vector<int> values(arena.resource());
  for (int i = 0; i < 1000; ++i)
    values.push_back(i);  // grows well past the inline block
  EXPECT_EQ(values.size(), 1000u);
  EXPECT_EQ(values.front(), 0);
  EXPECT_EQ(values.back(), 999);
}

}  // namespace
}  // namespace bulwark::core
