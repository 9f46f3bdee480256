#include "cache/memory_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <list>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "test_object.h"

namespace bulwark::cache {
namespace {

ObjectPtr make_object(std::size_t body_bytes, std::string_view tag = "none") {
  return make_test_object(std::string(body_bytes, 'x'), tag);
}

// Keys of one length, so that objects of one body size cost the same.
std::string key_of(std::size_t n) {
  std::string key = "/k/" + std::to_string(n);
  key.insert(3, 10 - std::min<std::size_t>(key.size() - 3, 10), '0');
  return key;
}

// What one object with a key from key_of() costs a store, key and node included.
std::uint64_t charge_of(std::size_t body_bytes) {
  MemoryStore store({.max_bytes = 1U << 30, .shards = 1});
  store.insert(key_of(0), make_object(body_bytes));
  return store.bytes();
}

TEST(MemoryStore, FindsWhatWasInserted) {
  MemoryStore store({.max_bytes = 1U << 20, .shards = 4});
  const ObjectPtr a = make_object(100);
  store.insert("/a", a);
  EXPECT_EQ(store.find("/a"), a);
  EXPECT_EQ(store.find("/b"), nullptr);
  EXPECT_EQ(store.size(), 1U);
  EXPECT_GT(store.bytes(), a->charge() + 2);
}

TEST(MemoryStore, ReplacingAKeyChargesOnlyTheNewObject) {
  MemoryStore store({.max_bytes = 1U << 20, .shards = 4});
  store.insert("/a", make_object(100));
  const std::uint64_t small = store.bytes();
  const ObjectPtr large = make_object(5000);
  store.insert("/a", large);
  EXPECT_EQ(store.find("/a"), large);
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(store.bytes(), small + 4900);
  store.insert("/a", make_object(100));
  EXPECT_EQ(store.bytes(), small);
}

TEST(MemoryStore, EraseRemovesOneKey) {
  MemoryStore store({.max_bytes = 1U << 20, .shards = 4});
  store.insert("/a", make_object(100));
  store.insert("/b", make_object(100));
  const std::uint64_t both = store.bytes();
  EXPECT_TRUE(store.erase("/a"));
  EXPECT_FALSE(store.erase("/a"));
  EXPECT_EQ(store.find("/a"), nullptr);
  EXPECT_NE(store.find("/b"), nullptr);
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(store.bytes(), both / 2);
  EXPECT_TRUE(store.erase("/b"));
  EXPECT_EQ(store.bytes(), 0U);
  EXPECT_EQ(store.size(), 0U);
}

TEST(MemoryStore, EraseIfMatchesKeysAndObjectsInEveryShard) {
  MemoryStore store({.max_bytes = 1U << 20, .shards = 8});
  for (int i = 0; i < 50; ++i) {
    store.insert("/img/" + std::to_string(i), make_object(10, i % 2 == 0 ? "even" : "odd"));
    store.insert("/css/" + std::to_string(i), make_object(10, i % 2 == 0 ? "even" : "odd"));
  }
  // A ban by prefix.
  EXPECT_EQ(store.erase_if(
                [](std::string_view key, const StoredObject&) { return key.starts_with("/img/"); }),
            50U);
  EXPECT_EQ(store.size(), 50U);
  EXPECT_EQ(store.find("/img/3"), nullptr);
  ASSERT_NE(store.find("/css/3"), nullptr);
  // A purge by tag, read from the stored head.
  EXPECT_EQ(store.erase_if([](std::string_view, const StoredObject& object) {
    return object.headers().get("x-tag") == "odd";
  }),
            25U);
  EXPECT_EQ(store.find("/css/3"), nullptr);
  EXPECT_NE(store.find("/css/4"), nullptr);
  EXPECT_EQ(store.erase_if([](std::string_view, const StoredObject&) { return true; }), 25U);
  EXPECT_EQ(store.bytes(), 0U);
}

TEST(MemoryStore, NeverHoldsMoreThanItsBytes) {
  constexpr std::uint64_t kMax = std::uint64_t{256} * 1024;
  MemoryStore store({.max_bytes = kMax, .shards = 4});
  std::mt19937 random(7);
  std::vector<ObjectPtr> objects;
  for (std::size_t size : {0, 10, 700, 3000, 9000, 20000, 70000})
    objects.push_back(make_object(size));
  for (int i = 0; i < 20000; ++i) {
    const std::string key = key_of(random() % 2000);
    if (random() % 10 == 0) {
      store.erase(key);
    } else {
      store.insert(key, objects[random() % objects.size()]);
    }
    ASSERT_LE(store.bytes(), kMax) << "after operation " << i;
  }
  EXPECT_GT(store.bytes(), kMax / 2) << "it did fill up";
  // The accounting returns to zero: nothing was charged twice or freed twice.
  store.erase_if([](std::string_view, const StoredObject&) { return true; });
  EXPECT_EQ(store.bytes(), 0U);
  EXPECT_EQ(store.size(), 0U);
}

TEST(MemoryStore, RefusesAnObjectLargerThanAShard) {
  MemoryStore store({.max_bytes = 40000, .shards = 2});  // 20000 bytes a shard
  store.insert("/big", make_object(30000));
  EXPECT_EQ(store.find("/big"), nullptr);
  EXPECT_EQ(store.bytes(), 0U);
  // A response that cannot be kept still replaces the stored one, which must not be served.
  store.insert("/k", make_object(100));
  ASSERT_NE(store.find("/k"), nullptr);
  store.insert("/k", make_object(30000));
  EXPECT_EQ(store.find("/k"), nullptr);
  EXPECT_EQ(store.bytes(), 0U);
  // Larger than the small queue (10%) but within the shard: kept.
  const ObjectPtr half = make_object(10000);
  store.insert("/half", half);
  EXPECT_EQ(store.find("/half"), half);
}

TEST(MemoryStore, AnEvictedObjectStaysValidForItsHolder) {
  MemoryStore store({.max_bytes = 20 * charge_of(1000), .shards = 1});
  store.insert(key_of(0), make_object(1000));
  const ObjectPtr held = store.find(key_of(0));
  ASSERT_NE(held, nullptr);
  // Five times the capacity, each read once (objects read only once would never press the main
  // queue, where the first one went: they leave from the small one).
  for (std::size_t n = 1; n <= 100; ++n) {
    store.insert(key_of(n), make_object(1000));
    EXPECT_NE(store.find(key_of(n)), nullptr);
  }
  EXPECT_EQ(store.find(key_of(0)), nullptr);
  EXPECT_EQ(held->status(), 200);
  EXPECT_EQ(held->headers().get("content-type"), "text/plain");
  EXPECT_EQ(held->body()->read(0, 2000), std::string(1000, 'x'));
}

// An object read while in the small queue moves to the main one when it leaves, where a scan
// (objects never read) does not reach it.
TEST(MemoryStore, AnObjectReadOnceOutlivesAScan) {
  MemoryStore store({.max_bytes = 20 * charge_of(100), .shards = 1});
  const ObjectPtr object = make_object(100);
  store.insert(key_of(0), object);
  ASSERT_NE(store.find(key_of(0)), nullptr);
  for (std::size_t n = 1; n <= 200; ++n)
    store.insert(key_of(n), object);
  EXPECT_NE(store.find(key_of(0)), nullptr);
  EXPECT_EQ(store.find(key_of(1)), nullptr);
}

// In a main queue under pressure (every new object is read once, so all of them get there), an
// object read between two passes goes round again instead of out.
TEST(MemoryStore, TheMainQueueKeepsWhatIsRead) {
  MemoryStore store({.max_bytes = 20 * charge_of(100), .shards = 1});
  const ObjectPtr object = make_object(100);
  std::size_t misses = 0;
  for (std::size_t n = 1; n <= 1000; ++n) {
    store.insert(key_of(n), object);
    ASSERT_NE(store.find(key_of(n)), nullptr);
    // Read every fifth step, while a pass of the main queue takes about 18.
    if (n % 5 == 0 && store.find(key_of(0)) == nullptr) {
      store.insert(key_of(0), object);
      if (n > 100) ++misses;
    }
  }
  EXPECT_EQ(misses, 0U);
  EXPECT_EQ(store.find(key_of(500)), nullptr) << "the others do leave";
}

// A hot set read over and over while a scan of keys read once passes: LRU would lose the hot set
// (the scan's keys come between two reads of a hot key, more of them than fit), S3-FIFO keeps it
// in the main queue, which objects read once never enter.
TEST(MemoryStore, AScanDoesNotPushOutAHotSet) {
  constexpr std::size_t kCapacity = 100;
  constexpr std::size_t kHot = 60;
  MemoryStore store({.max_bytes = kCapacity * charge_of(100), .shards = 1});
  const ObjectPtr object = make_object(100);
  std::size_t hot_misses = 0;
  for (std::size_t step = 0; step < 20000; ++step) {
    store.insert(key_of(1000 + step), object);  // the scan: each key once
    const std::string hot = key_of(step % kHot);
    if (store.find(hot) == nullptr) {
      store.insert(hot, object);
      if (step >= 10 * kHot) ++hot_misses;  // after warm-up
    }
  }
  EXPECT_EQ(hot_misses, 0U);
  for (std::size_t i = 0; i < kHot; ++i)
    EXPECT_NE(store.find(key_of(i)), nullptr) << key_of(i);
}

TEST(MemoryStore, ThreadsShareKeys) {
  constexpr std::uint64_t kMax = std::uint64_t{64} * 1024;
  MemoryStore store({.max_bytes = kMax, .shards = 4});
  std::vector<ObjectPtr> objects;
  for (std::size_t size : {0, 100, 1000, 5000})
    objects.push_back(make_object(size));
  std::atomic<bool> foreign{false};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int i = 0; i < 20000; ++i) {
        const std::string key = key_of(random() % 64);
        const unsigned op = random() % 100;
        if (op < 60) {
          const ObjectPtr found = store.find(key);
          if (found != nullptr && std::ranges::find(objects, found) == objects.end())
            foreign = true;
        } else if (op < 90) {
          store.insert(key, objects[random() % objects.size()]);
        } else if (op < 99) {
          store.erase(key);
        } else {
          store.erase_if([&](std::string_view k, const StoredObject&) { return k == key; });
        }
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_FALSE(foreign.load());
  EXPECT_LE(store.bytes(), kMax);
  std::size_t present = 0;
  for (std::size_t i = 0; i < 64; ++i)
    present += store.find(key_of(i)) != nullptr ? 1 : 0;
  EXPECT_EQ(present, store.size());
}

// Plain LRU of a fixed number of equal objects: the baseline S3-FIFO must beat.
class LruModel {
 public:
  explicit LruModel(std::size_t capacity) : capacity_(capacity) {}

  // True on a hit; a miss inserts the key.
  bool access(std::uint32_t key) {
    if (const auto it = where_.find(key); it != where_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return true;
    }
    order_.push_front(key);
    where_[key] = order_.begin();
    if (order_.size() > capacity_) {
      where_.erase(order_.back());
      order_.pop_back();
    }
    return false;
  }

 private:
  std::size_t capacity_;
  std::list<std::uint32_t> order_;  // most recent first
  std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> where_;
};

// Zipf-distributed ranks: rank r (0-based) with probability proportional to 1 / (r + 1)^alpha.
std::vector<std::uint32_t> zipf_stream(std::size_t keys, double alpha, std::size_t requests,
                                       std::uint64_t seed) {
  std::vector<double> cdf(keys);
  double sum = 0;
  for (std::size_t r = 0; r < keys; ++r)
    cdf[r] = sum += 1.0 / std::pow(static_cast<double>(r + 1), alpha);
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> uniform(0, sum);
  // Ranks map to scattered key numbers, so that popular keys do not share a shard by rank.
  std::vector<std::uint32_t> key_of_rank(keys);
  for (std::size_t r = 0; r < keys; ++r)
    key_of_rank[r] = static_cast<std::uint32_t>(r);
  std::ranges::shuffle(key_of_rank, random);
  std::vector<std::uint32_t> stream(requests);
  for (std::uint32_t& key : stream) {
    const auto rank =
        static_cast<std::size_t>(std::ranges::lower_bound(cdf, uniform(random)) - cdf.begin());
    key = key_of_rank[std::min(rank, keys - 1)];
  }
  return stream;
}

// S3-FIFO keeps more hits than LRU on skewed traffic: 10^6 requests over 10^5 equal objects,
// room for 10% of them, sharded as configured by default.
TEST(MemoryStore, HitRatioBeatsLruOnZipfTraffic) {
  constexpr std::size_t kKeys = 20000;
  constexpr std::size_t kRequests = 200000;
  const std::uint64_t charge = charge_of(100);
  std::vector<std::string> keys(kKeys);
  for (std::size_t i = 0; i < kKeys; ++i)
    keys[i] = key_of(i);
  const ObjectPtr object = make_object(100);
  for (const double alpha : {0.9, 1.0}) {
    const std::vector<std::uint32_t> stream = zipf_stream(kKeys, alpha, kRequests, 42);
    MemoryStore store({.max_bytes = kKeys / 10 * charge, .shards = 16});
    LruModel lru(kKeys / 10);
    std::size_t store_hits = 0;
    std::size_t lru_hits = 0;
    for (const std::uint32_t key : stream) {
      if (store.find(keys[key]) != nullptr) {
        ++store_hits;
      } else {
        store.insert(keys[key], object);
      }
      lru_hits += lru.access(key) ? 1 : 0;
    }
    const double store_ratio = static_cast<double>(store_hits) / kRequests;
    const double lru_ratio = static_cast<double>(lru_hits) / kRequests;
    std::printf("zipf %.1f: S3-FIFO hit ratio %.4f, LRU %.4f\n", alpha, store_ratio, lru_ratio);
    EXPECT_GT(store_ratio, lru_ratio) << "alpha " << alpha;
  }
}

}  // namespace
}  // namespace bulwark::cache
