#include "upstream/worker_pools.h"

namespace bulwark::upstream {

EndpointPool& WorkerPools::pool_for(const asio::ip::tcp::endpoint& endpoint,
                                    const config::PoolSettings& settings) {
  auto& pool = pools_[endpoint];
  if (!pool) {
    pool = std::make_unique<EndpointPool>(io_, worker_, endpoint, settings,
                                          directory_.slots_for(endpoint));
  }
  return *pool;
}

void WorkerPools::expire_idle(core::Clock::time_point now) {
  for (auto& [endpoint, pool] : pools_)
    pool->expire_idle(now);
}

void WorkerPools::close_all() noexcept {
  for (auto& [endpoint, pool] : pools_)
    pool->close_all();
}

std::uint64_t WorkerPools::connections_opened() const noexcept {
  std::uint64_t total = 0;
  for (const auto& [endpoint, pool] : pools_)
    total += pool->connections_opened();
  return total;
}

}  // namespace bulwark::upstream
