#pragma once
// Open connections per client IP, across all workers. Touched once when a connection opens and
// once when it closes, never per request; sharded so workers rarely meet on one mutex.

#include <array>
#include <asio/ip/address.hpp>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace bulwark::proxy {

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(std::size_t max_per_ip) : max_per_ip_(max_per_ip) {}

  [[nodiscard]] bool enabled() const noexcept { return max_per_ip_ != 0; }
  // Counts the connection in; false (and nothing counted) when the IP is at its limit.
  bool try_open(const asio::ip::address& ip);
  void close(const asio::ip::address& ip);

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<asio::ip::address, std::size_t> open;
  };
  Shard& shard_for(const asio::ip::address& ip);

  std::size_t max_per_ip_;
  std::array<Shard, kShards> shards_;
};

}  // namespace bulwark::proxy
