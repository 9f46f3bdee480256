#include "core/timeout_list.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <vector>

namespace bulwark::core {
namespace {

using namespace std::chrono_literals;

struct TestEntry final : TimeoutEntry {
  void on_timeout() noexcept override {
    ++fired;
    armed_inside_callback = armed();
    if (action) action(*this);
  }
  ~TestEntry() override = default;

  int fired = 0;
  bool armed_inside_callback = true;
  std::function<void(TestEntry&)> action;
};

std::set<const TimeoutEntry*> visit_all(TimeoutList& list) {
  std::set<const TimeoutEntry*> seen;
  list.for_each([&](TimeoutEntry& e) { EXPECT_TRUE(seen.insert(&e).second); });
  return seen;
}

const Clock::time_point kNow = Clock::now();

// ---- link / unlink ------------------------------------------------------------------------------

TEST(TimeoutListTest, StartsEmpty) {
  TimeoutList list;
  EXPECT_EQ(list.size(), 0u);
  EXPECT_TRUE(visit_all(list).empty());
}

TEST(TimeoutListTest, LinkAddsEntries) {
  TimeoutList list;
  TestEntry a, b, c;
  list.link(a);
  list.link(b);
  list.link(c);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(visit_all(list), (std::set<const TimeoutEntry*>{&a, &b, &c}));
}

TEST(TimeoutListTest, UnlinkRemovesHeadMiddleAndTail) {
  for (int victim = 0; victim < 3; ++victim) {
    TimeoutList list;
    TestEntry entries[3];
    for (auto& e : entries)
      list.link(e);
    list.unlink(entries[victim]);
    EXPECT_EQ(list.size(), 2u);
    std::set<const TimeoutEntry*> expected;
    for (int i = 0; i < 3; ++i) {
      if (i != victim) expected.insert(&entries[i]);
    }
    EXPECT_EQ(visit_all(list), expected) << "victim " << victim;
  }
}

TEST(TimeoutListTest, UnlinkTwiceIsANoOp) {
  TimeoutList list;
  TestEntry a, b;
  list.link(a);
  list.link(b);
  list.unlink(a);
  list.unlink(a);
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(visit_all(list), (std::set<const TimeoutEntry*>{&b}));
}

TEST(TimeoutListTest, UnlinkOfNeverLinkedEntryIsANoOp) {
  TimeoutList list;
  TestEntry a, stranger;
  list.link(a);
  list.unlink(stranger);
  EXPECT_EQ(list.size(), 1u);
}

TEST(TimeoutListTest, UnlinkFromAnotherListIsIgnored) {
  TimeoutList one, two;
  TestEntry a, b;
  one.link(a);
  two.link(b);
  one.unlink(b);
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(two.size(), 1u);
  EXPECT_EQ(visit_all(two), (std::set<const TimeoutEntry*>{&b}));
}

TEST(TimeoutListTest, UnlinkAllThenRelink) {
  TimeoutList list;
  TestEntry a, b;
  list.link(a);
  list.link(b);
  list.unlink(b);
  list.unlink(a);
  EXPECT_EQ(list.size(), 0u);
  EXPECT_TRUE(visit_all(list).empty());
  list.link(a);
  EXPECT_EQ(visit_all(list), (std::set<const TimeoutEntry*>{&a}));
}

// ---- arm / disarm -------------------------------------------------------------------------------

TEST(TimeoutEntryTest, NewEntryIsNotArmed) {
  TestEntry a;
  EXPECT_FALSE(a.armed());
}

TEST(TimeoutEntryTest, ArmAndDisarm) {
  TestEntry a;
  a.arm(kNow);
  EXPECT_TRUE(a.armed());
  a.disarm();
  EXPECT_FALSE(a.armed());
  a.arm_after(5s);
  EXPECT_TRUE(a.armed());
}

// ---- expire -------------------------------------------------------------------------------------

TEST(TimeoutListTest, ExpireFiresOnlyEntriesAtOrBeforeNow) {
  TimeoutList list;
  TestEntry past, exact, future, unarmed;
  past.arm(kNow - 1s);
  exact.arm(kNow);
  future.arm(kNow + 1ms);
  for (TestEntry* e : {&past, &exact, &future, &unarmed})
    list.link(*e);
  list.expire(kNow);
  EXPECT_EQ(past.fired, 1);
  EXPECT_EQ(exact.fired, 1);
  EXPECT_EQ(future.fired, 0);
  EXPECT_EQ(unarmed.fired, 0);
  EXPECT_TRUE(future.armed());
}

TEST(TimeoutListTest, EntryIsDisarmedBeforeOnTimeout) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow - 1s);
  list.link(a);
  list.expire(kNow);
  ASSERT_EQ(a.fired, 1);
  EXPECT_FALSE(a.armed_inside_callback);
  EXPECT_FALSE(a.armed());
}

TEST(TimeoutListTest, ExpiredEntryFiresOnlyOnce) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow - 1s);
  list.link(a);
  list.expire(kNow);
  list.expire(kNow + 1s);
  list.expire(kNow + 1h);
  EXPECT_EQ(a.fired, 1);
  EXPECT_EQ(list.size(), 1u);  // firing does not unlink
}

TEST(TimeoutListTest, ReArmedEntryFiresAgainWhenDue) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow);
  list.link(a);
  list.expire(kNow);
  a.arm(kNow + 10s);
  list.expire(kNow + 5s);
  EXPECT_EQ(a.fired, 1);
  list.expire(kNow + 10s);
  EXPECT_EQ(a.fired, 2);
}

TEST(TimeoutListTest, ReArmingInsideOnTimeoutDoesNotFireTwiceInOneTick) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow - 1s);
  a.action = [](TestEntry& self) { self.arm(kNow - 1s); };  // still "due", but already visited
  list.link(a);
  list.expire(kNow);
  EXPECT_EQ(a.fired, 1);
  EXPECT_TRUE(a.armed());
}

TEST(TimeoutListTest, ArmAfterIsRelativeToTheCurrentTime) {
  TimeoutList list;
  TestEntry a;
  a.arm_after(1h);
  list.link(a);
  list.expire(Clock::now());
  EXPECT_EQ(a.fired, 0);
  list.expire(Clock::now() + 2h);
  EXPECT_EQ(a.fired, 1);
}

TEST(TimeoutListTest, EntriesMayUnlinkThemselvesInsideOnTimeout) {
  TimeoutList list;
  TestEntry entries[5];
  for (auto& e : entries) {
    e.arm(kNow - 1s);
    e.action = [&list](TestEntry& self) { list.unlink(self); };
    list.link(e);
  }
  list.expire(kNow);
  for (const auto& e : entries)
    EXPECT_EQ(e.fired, 1);
  EXPECT_EQ(list.size(), 0u);
  EXPECT_TRUE(visit_all(list).empty());
}

TEST(TimeoutListTest, SelfUnlinkDoesNotDisturbTheOtherEntries) {
  TimeoutList list;
  TestEntry keep_a, leave, keep_b;
  keep_a.arm(kNow - 1s);
  leave.arm(kNow - 1s);
  keep_b.arm(kNow - 1s);
  leave.action = [&list](TestEntry& self) { list.unlink(self); };
  list.link(keep_a);
  list.link(leave);
  list.link(keep_b);
  list.expire(kNow);
  EXPECT_EQ(keep_a.fired, 1);
  EXPECT_EQ(leave.fired, 1);
  EXPECT_EQ(keep_b.fired, 1);
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(visit_all(list), (std::set<const TimeoutEntry*>{&keep_a, &keep_b}));
}

TEST(TimeoutListTest, UnlinkedEntryNeverFires) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow - 1s);
  list.link(a);
  list.unlink(a);
  list.expire(kNow);
  EXPECT_EQ(a.fired, 0);
}

TEST(TimeoutListTest, ExpireOnEmptyListDoesNothing) {
  TimeoutList list;
  list.expire(kNow);
  EXPECT_EQ(list.size(), 0u);
}

// ---- for_each -----------------------------------------------------------------------------------

TEST(TimeoutListTest, ForEachVisitsEveryEntryOnce) {
  TimeoutList list;
  TestEntry entries[4];
  for (auto& e : entries)
    list.link(e);
  int visits = 0;
  list.for_each([&](TimeoutEntry&) { ++visits; });
  EXPECT_EQ(visits, 4);
}

TEST(TimeoutListTest, ForEachMayUnlinkTheGivenEntry) {
  TimeoutList list;
  TestEntry entries[4];
  for (auto& e : entries)
    list.link(e);
  int visits = 0;
  list.for_each([&](TimeoutEntry& e) {
    ++visits;
    list.unlink(e);
  });
  EXPECT_EQ(visits, 4);
  EXPECT_EQ(list.size(), 0u);
}

TEST(TimeoutListTest, ForEachDoesNotFireAnything) {
  TimeoutList list;
  TestEntry a;
  a.arm(kNow - 1s);
  list.link(a);
  list.for_each([](TimeoutEntry&) {});
  EXPECT_EQ(a.fired, 0);
  EXPECT_TRUE(a.armed());
}

}  // namespace
}  // namespace bulwark::core
