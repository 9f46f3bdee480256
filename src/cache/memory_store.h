#pragma once
// The memory tier: stored objects by key, bounded in bytes, shared by all workers. Sharded by the
// key's hash, one mutex per shard, so workers rarely meet. Admission and eviction follow S3-FIFO
// (Yang et al., SOSP 2023): new objects enter a small FIFO (10% of the bytes); those read again
// while there move to the main FIFO, the others leave and are remembered in a ghost FIFO of key
// hashes, which sends a returning key straight to the main one; the main FIFO reinserts an object
// that was read since it last passed (a bounded frequency counter) instead of evicting it. On
// skewed traffic it keeps more hits than LRU, and a hit costs no list update (only a counter).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cache/stored_object.h"

namespace bulwark::cache {

class MemoryStore {
 public:
  struct Options {
    std::uint64_t max_bytes = 256ULL << 20;
    std::size_t shards = 16;  // a power of two
  };

  explicit MemoryStore(Options options);
  ~MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // The object under `key`, or nullptr. Counts the read for eviction.
  [[nodiscard]] ObjectPtr find(std::string_view key);
  // Stores `object` under `key`, replacing what was there; evicts to stay within max_bytes. An
  // object larger than a shard's budget is not stored. Its charge() is taken now: insert only
  // complete objects.
  void insert(std::string_view key, ObjectPtr object);
  // Removes the object under `key`; false when there was none.
  bool erase(std::string_view key);
  // Removes every object for which `match(key, object)` is true; returns how many (bans, tags).
  // `match` runs under each shard's lock in turn: it must not call into the store.
  std::size_t erase_if(const std::function<bool(std::string_view, const StoredObject&)>& match);

  [[nodiscard]] std::uint64_t bytes() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  class Shard;
  // By the key's hash, computed once per call and reused by the shard's map.
  Shard& shard_of(std::size_t hash) noexcept;

  Options options_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace bulwark::cache
