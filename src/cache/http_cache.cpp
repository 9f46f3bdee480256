#include "cache/http_cache.h"

#include <functional>

#include "cache/policy/vary.h"

namespace bulwark::cache {
namespace {

std::string variant_key(std::string_view primary_key, std::string_view secondary_key) {
  std::string key;
  key.reserve(primary_key.size() + 1 + secondary_key.size());
  key.append(primary_key);
  key.push_back(kVarySeparator);
  key.append(secondary_key);
  return key;
}

std::string_view primary_of(std::string_view key) noexcept {
  return key.substr(0, key.find(kVarySeparator));
}

// A marker names the Vary fields of a key's responses.
ObjectPtr make_marker(std::string_view vary) {
  const std::array<http::HeaderField, 1> fields{{{"vary", vary}}};
  return std::make_shared<const StoredObject>(0, fields, policy::FetchTimes{}, nullptr);
}

bool is_marker(const StoredObject& object) noexcept {
  return object.status() == 0;
}

}  // namespace

HttpCache::HttpCache(MemoryStore::Options memory) : memory_(memory) {}

HttpCache::Lookup HttpCache::lookup(std::string_view primary_key, const http::HeaderMap& request) {
  Lookup found;
  ObjectPtr object = memory_.find(primary_key);
  if (object == nullptr || !is_marker(*object)) {
    found.object = std::move(object);
    return found;
  }
  std::optional<std::string> secondary = policy::secondary_key(object->vary(), request);
  found.vary_miss = true;
  if (!secondary) return found;
  found.object = memory_.find(variant_key(primary_key, *secondary));
  found.vary_miss = found.object == nullptr;
  found.secondary_key = std::move(*secondary);
  return found;
}

void HttpCache::store(std::string_view primary_key, const std::optional<std::string>& secondary_key,
                      ObjectPtr object) {
  if (object->vary().empty()) {
    memory_.insert(primary_key, std::move(object));
    return;
  }
  if (!secondary_key) return;
  const ObjectPtr marker = memory_.find(primary_key);
  if (marker == nullptr || !is_marker(*marker) || marker->vary() != object->vary()) {
    memory_.insert(primary_key, make_marker(object->vary()));
  }
  memory_.insert(variant_key(primary_key, *secondary_key), std::move(object));
}

HttpCache::FillShard& HttpCache::fill_shard(std::string_view key) noexcept {
  return fill_shards_[std::hash<std::string_view>{}(key) % fill_shards_.size()];
}

HttpCache::Joined HttpCache::join_fill(std::string_view primary_key,
                                       std::string_view secondary_key) {
  std::string key = variant_key(primary_key, secondary_key);
  FillShard& shard = fill_shard(key);
  const std::scoped_lock lock(shard.mutex);
  auto [it, inserted] = shard.fills.try_emplace(std::move(key));
  if (!inserted) return {it->second, false};
  it->second = std::make_shared<Fill>(std::string(secondary_key));
  return {it->second, true};
}

void HttpCache::end_fill(std::string_view primary_key, std::string_view secondary_key,
                         const std::shared_ptr<Fill>& fill) {
  const std::string key = variant_key(primary_key, secondary_key);
  FillShard& shard = fill_shard(key);
  const std::scoped_lock lock(shard.mutex);
  const auto it = shard.fills.find(key);
  if (it != shard.fills.end() && it->second == fill) shard.fills.erase(it);
}

bool HttpCache::begin_refresh(std::string_view key) {
  const std::scoped_lock lock(refresh_mutex_);
  return refreshing_.emplace(key).second;
}

void HttpCache::end_refresh(std::string_view key) {
  const std::scoped_lock lock(refresh_mutex_);
  refreshing_.erase(std::string(key));
}

std::size_t HttpCache::purge(std::string_view primary_key) {
  return memory_.erase_if([primary_key](std::string_view key, const StoredObject& /*object*/) {
    return primary_of(key) == primary_key;
  });
}

std::size_t HttpCache::ban_if(
    const std::function<bool(std::string_view, const StoredObject&)>& match) {
  return memory_.erase_if([&match](std::string_view key, const StoredObject& object) {
    return match(primary_of(key), object);
  });
}

}  // namespace bulwark::cache
