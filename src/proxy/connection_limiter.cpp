#include "proxy/connection_limiter.h"

namespace bulwark::proxy {

ConnectionLimiter::Shard& ConnectionLimiter::shard_for(const asio::ip::address& ip) {
  return shards_[std::hash<asio::ip::address>{}(ip) % kShards];
}

bool ConnectionLimiter::try_open(const asio::ip::address& ip) {
  if (!enabled()) return true;
  Shard& shard = shard_for(ip);
  const std::lock_guard lock(shard.mutex);
  std::size_t& count = shard.open[ip];
  if (count >= max_per_ip_) {
    if (count == 0) shard.open.erase(ip);
    return false;
  }
  ++count;
  return true;
}

void ConnectionLimiter::close(const asio::ip::address& ip) {
  if (!enabled()) return;
  Shard& shard = shard_for(ip);
  const std::lock_guard lock(shard.mutex);
  const auto it = shard.open.find(ip);
  if (it == shard.open.end()) return;
  if (--it->second == 0) shard.open.erase(it);
}

}  // namespace bulwark::proxy
