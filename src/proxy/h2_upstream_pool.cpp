#include "proxy/h2_upstream_pool.h"

#include <algorithm>

namespace bulwark::proxy {

H2UpstreamConnection* H2UpstreamPool::find(std::string_view cluster,
                                           const asio::ip::tcp::endpoint& endpoint) const noexcept {
  for (const std::unique_ptr<H2UpstreamConnection>& connection : connections_) {
    const H2UpstreamKey& key = connection->key();
    if (connection->has_capacity() && key.endpoint == endpoint && key.cluster == cluster) {
      return connection.get();
    }
  }
  return nullptr;
}

H2UpstreamConnection& H2UpstreamPool::add(std::unique_ptr<H2UpstreamConnection> connection) {
  return *connections_.emplace_back(std::move(connection));
}

void H2UpstreamPool::remove(H2UpstreamConnection& connection) noexcept {
  const auto found =
      std::find_if(connections_.begin(), connections_.end(),
                   [&connection](const auto& held) { return held.get() == &connection; });
  if (found == connections_.end()) return;
  // Moved out first: the connection's destructor must not run inside the vector's erase.
  std::unique_ptr<H2UpstreamConnection> gone = std::move(*found);
  connections_.erase(found);
}

H2UpstreamPool::ConnectingGuard H2UpstreamPool::start_connecting(
    std::string_view cluster, const asio::ip::tcp::endpoint& endpoint,
    const core::Executor& executor, core::Clock::duration limit) {
  const std::size_t id = next_connecting_++;
  auto& connecting = connecting_.emplace_back(std::make_unique<Connecting>(
      Connecting{id, std::string(cluster), endpoint, core::SteadyTimer(executor)}));
  connecting->done.expires_after(limit);
  return {*this, id};
}

core::Task<bool> H2UpstreamPool::wait_for_connecting(std::string_view cluster,
                                                     const asio::ip::tcp::endpoint& endpoint) {
  const auto found = std::find_if(connecting_.begin(), connecting_.end(), [&](const auto& c) {
    return c->endpoint == endpoint && c->cluster == cluster;
  });
  if (found == connecting_.end()) co_return false;
  // The entry may be gone when the wait ends: nothing of it is touched afterwards.
  co_await (*found)->done.async_wait(core::kAsTuple);
  co_return true;
}

void H2UpstreamPool::finish_connecting(std::size_t id) noexcept {
  const auto found = std::find_if(connecting_.begin(), connecting_.end(),
                                  [id](const auto& c) { return c->id == id; });
  if (found == connecting_.end()) return;
  (*found)->done.cancel();  // the waiters look again
  connecting_.erase(found);
}

}  // namespace bulwark::proxy
