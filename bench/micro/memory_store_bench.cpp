// Cost of a memory-tier hit (issue 7): one hash, one shard lock, one map lookup and a shared_ptr
// copy, with no allocation. Measured on one thread and on two sharing the store (16 shards, so
// that the threads rarely meet on a lock), over 100,000 keys of cache-like length; and a miss
// followed by the insert that stores the response, with evictions (the store holds a tenth of
// the keys).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "cache/memory_store.h"

namespace {

using bulwark::cache::MemoryStore;
using bulwark::cache::ObjectPtr;

constexpr std::size_t kKeys = 100000;

std::vector<std::string> make_keys() {
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (std::size_t i = 0; i < kKeys; ++i)
    keys.push_back("GET|https|www.example.com|/static/assets/" + std::to_string(i) + ".css");
  return keys;
}

ObjectPtr make_object() {
  auto body = std::make_shared<bulwark::cache::StoredBody>(1024, 1024);
  body->append(std::string(1024, 'x'));
  body->finish(bulwark::cache::BodyState::kComplete);
  const std::vector<bulwark::http::HeaderField> fields{{"content-type", "text/css"},
                                                       {"cache-control", "max-age=3600"}};
  return std::make_shared<bulwark::cache::StoredObject>(
      200, fields, bulwark::cache::policy::FetchTimes{}, std::move(body));
}

const std::vector<std::string>& keys() {
  static const std::vector<std::string> all = make_keys();
  return all;
}

// Every key stored: each find is a hit. Shared by the threads of a run, and never freed (the
// benchmark's threads may outlive main's locals).
MemoryStore& full_store() {
  static MemoryStore* const store = [] {
    auto* made = new MemoryStore({.max_bytes = 1ULL << 30, .shards = 16});
    // Distinct objects, so that threads do not meet on one reference count as they would not
    // in a cache of distinct responses.
    std::vector<ObjectPtr> objects;
    objects.reserve(1024);
    for (int i = 0; i < 1024; ++i)
      objects.push_back(make_object());
    for (std::size_t i = 0; i < kKeys; ++i)
      made->insert(keys()[i], objects[i % objects.size()]);
    return made;
  }();
  return *store;
}

void hit(benchmark::State& state) {
  MemoryStore& store = full_store();
  // Threads start apart in the key space, as workers serving different clients would.
  std::size_t n = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    ObjectPtr found = store.find(keys()[n++ % kKeys]);
    benchmark::DoNotOptimize(found);
  }
}

void miss_then_insert(benchmark::State& state) {
  const ObjectPtr object = make_object();
  MemoryStore store({.max_bytes = kKeys / 10 * (object->charge() + 200), .shards = 16});
  std::size_t n = 0;
  for (auto _ : state) {
    const std::string& key = keys()[n++ % kKeys];
    if (store.find(key) == nullptr) store.insert(key, object);
  }
}

}  // namespace

BENCHMARK(hit)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(miss_then_insert);

BENCHMARK_MAIN();
