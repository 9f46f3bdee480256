#pragma once
// The shared HTTP cache of one server: its storage tiers, the fills in progress, and purging. One
// instance serves every worker and outlives configuration reloads while its size is unchanged.
//
// Keys. A response without Vary is stored under its primary key (cache_key.h). A response with
// Vary is stored under primary key + kVarySeparator + its secondary key (policy/vary.h), and a
// marker under the primary key names the Vary fields, so that a lookup knows which request fields
// make the secondary key (the design of Squid's vary markers). A marker is a StoredObject of status
// 0 without a body.

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "cache/fill.h"
#include "cache/memory_store.h"
#include "http/header_map.h"

namespace bulwark::cache {

inline constexpr char kVarySeparator = '\x1f';

class HttpCache {
 public:
  explicit HttpCache(MemoryStore::Options memory);

  struct Lookup {
    ObjectPtr object;        // the stored response, or nullptr
    bool vary_miss = false;  // responses are stored for this key, none for these Vary values
    // The request's secondary key when the key's Vary fields are known; empty otherwise.
    std::string secondary_key;
  };
  [[nodiscard]] Lookup lookup(std::string_view primary_key, const http::HeaderMap& request);

  // Stores a complete response. `secondary_key` is the request's for the response's Vary fields;
  // std::nullopt for Vary: * (not stored).
  void store(std::string_view primary_key, const std::optional<std::string>& secondary_key,
             ObjectPtr object);

  // The fill in progress for the key (primary + secondary), joined, or a new one that the caller
  // leads (`leader` true). The leader ends it with end_fill().
  struct Joined {
    std::shared_ptr<Fill> fill;
    bool leader = false;
  };
  Joined join_fill(std::string_view primary_key, std::string_view secondary_key);
  void end_fill(std::string_view primary_key, std::string_view secondary_key,
                const std::shared_ptr<Fill>& fill);

  // Background refreshes (stale-while-revalidate): begin_refresh() is true for the one caller
  // that gets to refresh the key, until end_refresh().
  bool begin_refresh(std::string_view key);
  void end_refresh(std::string_view key);

  // Invalidation. purge() removes the responses of one primary key (every variant); ban_if()
  // removes those whose primary key (the part before any Vary separator) matches; both return how
  // many objects went.
  std::size_t purge(std::string_view primary_key);
  std::size_t ban_if(
      const std::function<bool(std::string_view primary_key, const StoredObject& object)>& match);

  [[nodiscard]] MemoryStore& memory() noexcept { return memory_; }

 private:
  struct FillShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<Fill>> fills;
  };
  FillShard& fill_shard(std::string_view key) noexcept;

  MemoryStore memory_;
  std::array<FillShard, 16> fill_shards_;
  std::mutex refresh_mutex_;  // refreshes are rare: one lock is enough
  std::unordered_set<std::string> refreshing_;
};

}  // namespace bulwark::cache
