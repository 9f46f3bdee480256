#pragma once
// One worker's HTTP/2 connections to backends. A request takes the first connection of its
// cluster and endpoint that has a free stream; only when none has does it open another, so many
// client requests share few upstream connections.

#include <memory>
#include <vector>

#include "proxy/h2_upstream_connection.h"

namespace bulwark::proxy {

class H2UpstreamPool {
 public:
  H2UpstreamPool() = default;
  H2UpstreamPool(const H2UpstreamPool&) = delete;
  H2UpstreamPool& operator=(const H2UpstreamPool&) = delete;

  // A connection to `endpoint` for `cluster` that can take a stream now, or nullptr.
  [[nodiscard]] H2UpstreamConnection* find(std::string_view cluster,
                                           const asio::ip::tcp::endpoint& endpoint) const noexcept;
  H2UpstreamConnection& add(std::unique_ptr<H2UpstreamConnection> connection);
  // Destroys the connection (its last reference went).
  void remove(H2UpstreamConnection& connection) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return connections_.size(); }

 private:
  std::vector<std::unique_ptr<H2UpstreamConnection>> connections_;
};

}  // namespace bulwark::proxy
