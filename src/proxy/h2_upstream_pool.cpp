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

}  // namespace bulwark::proxy
