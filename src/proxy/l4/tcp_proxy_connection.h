#pragma once
// One client connection of a layer-4 listener (protocol tcp or tls_passthrough): the PROXY
// header from a trusted source first, then for TLS passthrough the ClientHello's server name,
// which picks the cluster; then an endpoint of that cluster (its balancer and health state; a
// failed connect counts against the endpoint and tries another), a PROXY header to it when the
// cluster sends one, and the tunnel. Every client connection gets a connection of its own to the
// backend: nothing is pooled at layer 4.

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/io.h"
#include "proxy/l4/tunnel.h"
#include "proxy/proxy_snapshot.h"

namespace bulwark::proxy {

class WorkerContext;

class TcpProxyConnection {
 public:
  TcpProxyConnection(WorkerContext& worker, SnapshotPtr snapshot, std::size_t listener,
                     core::TcpSocket socket, const asio::ip::tcp::endpoint& peer);
  TcpProxyConnection(const TcpProxyConnection&) = delete;
  TcpProxyConnection& operator=(const TcpProxyConnection&) = delete;
  ~TcpProxyConnection();

  // Takes a new connection over; from now on it owns itself until it closes.
  static void start(std::unique_ptr<TcpProxyConnection> self);

 private:
  static core::Task<void> run(std::unique_ptr<TcpProxyConnection> self);
  // The PROXY header of a trusted source; false when it did not come or was bad.
  core::Task<bool> accept_proxy_header(config::Duration timeout);
  // Reads the ClientHello (kept in `early_` to be forwarded) and picks the cluster its server
  // name routes to; nullopt closes the connection.
  core::Task<std::optional<std::size_t>> route_client_hello();
  // Connects to an endpoint of the cluster, failing over to others; false when none answered.
  core::Task<bool> connect(std::size_t cluster);
  // The PROXY header when the cluster sends one, then the bytes read before connecting.
  core::Task<bool> send_preamble(const config::Cluster& spec);
  // Tells the balancer the connection to `endpoint_` ended.
  void end_balancing();

  WorkerContext& worker_;
  SnapshotPtr snapshot_;
  const config::Listener& listener_;
  core::TcpSocket client_;
  core::TcpSocket upstream_;
  TunnelDeadline deadline_;
  asio::ip::tcp::endpoint client_endpoint_;  // the real client's, after a PROXY header
  asio::ip::tcp::endpoint destination_;      // where it connected to (likewise)
  std::string early_;                        // client bytes read before connecting
  std::string upstream_label_;               // the endpoint, for logs
  std::optional<std::size_t> endpoint_;      // connected to this endpoint of `cluster_`
  std::size_t cluster_ = 0;
  core::Clock::time_point connected_at_;
  bool counted_ = false;  // counted by the per-IP connection limiter
};

}  // namespace bulwark::proxy
