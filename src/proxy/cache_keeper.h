#pragma once
// Keeps the server's HTTP cache across configuration snapshots: a reload that leaves
// `cache_storage` as it was keeps every stored response; one that changes it starts an empty
// cache (streams of the old snapshot finish on the old one).

#include <memory>
#include <mutex>

#include "cache/http_cache.h"
#include "config/config.h"

namespace bulwark::proxy {

class CacheKeeper {
 public:
  [[nodiscard]] std::shared_ptr<cache::HttpCache> cache_for(const config::Config& config) {
    const std::scoped_lock lock(mutex_);
    if (!cache_ || memory_ != config.cache_storage.memory) {
      memory_ = config.cache_storage.memory;
      cache_ =
          std::make_shared<cache::HttpCache>(cache::MemoryStore::Options{.max_bytes = memory_});
    }
    return cache_;
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<cache::HttpCache> cache_;
  std::uint64_t memory_ = 0;
};

}  // namespace bulwark::proxy
