#include "proxy/l4/tcp_proxy_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/write.hpp>
#include <chrono>

#include "core/log.h"
#include "proxy/l4/proxy_protocol_io.h"
#include "proxy/l4/sni_peek.h"
#include "proxy/l4/sni_routes.h"
#include "proxy/worker_context.h"
#include "upstream/outlier_detector.h"

namespace bulwark::proxy {
namespace {

// Room for the largest ClientHello accepted, split into records however small.
constexpr std::size_t kMaxEarlyBytes = kMaxClientHelloBytes + 4096;
constexpr std::size_t kReadChunk = 4096;

asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

TcpProxyConnection::TcpProxyConnection(WorkerContext& worker, SnapshotPtr snapshot,
                                       std::size_t listener, core::TcpSocket socket,
                                       const asio::ip::tcp::endpoint& peer)
    : worker_(worker),
      snapshot_(std::move(snapshot)),
      listener_(*snapshot_->listeners[listener].spec),
      client_(std::move(socket)),
      upstream_(worker.io),
      deadline_(worker.timeouts, client_, upstream_),
      client_endpoint_(unmap(peer.address()), peer.port()) {
  worker_.open_connections.fetch_add(1, std::memory_order_relaxed);
}

TcpProxyConnection::~TcpProxyConnection() {
  if (counted_) worker_.limiter.close(client_endpoint_.address());
  worker_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void TcpProxyConnection::start(std::unique_ptr<TcpProxyConnection> self) {
  asio::io_context& io = self->worker_.io;
  asio::co_spawn(io, run(std::move(self)), asio::detached);
}

core::Task<void> TcpProxyConnection::run(std::unique_ptr<TcpProxyConnection> self) {
  TcpProxyConnection& connection = *self;
  const config::Listener& listener = connection.listener_;
  const std::optional<config::ProxyProtocolAccept>& proxied = listener.proxy_protocol;
  if (proxied && is_proxy_source(*proxied, connection.client_endpoint_.address())) {
    if (!co_await connection.accept_proxy_header(proxied->timeout)) co_return;
  }
  if (connection.worker_.limiter.enabled()) {
    connection.counted_ =
        connection.worker_.limiter.try_open(connection.client_endpoint_.address());
    if (!connection.counted_) co_return;  // too many connections from this client
  }
  std::optional<std::size_t> cluster = listener.layer4.cluster_index;
  if (listener.protocol == config::ListenerProtocol::kTlsPassthrough) {
    cluster = co_await connection.route_client_hello();
    if (!cluster) co_return;
  }
  if (!co_await connection.connect(*cluster)) co_return;
  const config::Cluster& spec = connection.snapshot_->config->clusters[*cluster];
  if (co_await connection.send_preamble(spec)) {
    [[maybe_unused]] const TunnelBytes moved =
        co_await tunnel(connection.client_, connection.upstream_, connection.worker_.buffers,
                        connection.deadline_, listener.layer4.idle_timeout);
    BULWARK_LOG_DEBUG("{} {} -> {}: {} bytes up, {} down{}", listener.name,
                      connection.client_endpoint_.address().to_string(), connection.upstream_label_,
                      moved.from_client, moved.from_upstream,
                      connection.deadline_.expired() ? " (idle timeout)" : "");
  }
  connection.end_balancing();
}

// Here rather than in the destructor: a connection still open when the worker stops is destroyed
// with the worker's loop, after the pickers.
void TcpProxyConnection::end_balancing() {
  upstream::EndpointPicker* picker = worker_.picker(*snapshot_, cluster_);
  if (picker == nullptr || !endpoint_) return;
  picker->on_request_end(
      *endpoint_,
      std::chrono::duration_cast<std::chrono::nanoseconds>(core::Clock::now() - connected_at_),
      true);
}

core::Task<bool> TcpProxyConnection::accept_proxy_header(config::Duration timeout) {
  deadline_.wait_for(timeout, true);
  auto header = co_await receive_proxy_header(client_);
  deadline_.disarm();
  if (!header) {
    BULWARK_LOG_DEBUG("{}: PROXY header from {} refused: {}", listener_.name,
                      client_endpoint_.address().to_string(), header.error());
    co_return false;
  }
  if (!header->local) {
    client_endpoint_ = {unmap(header->source.address()), header->source.port()};
    destination_ = header->destination;
  }
  co_return true;
}

core::Task<std::optional<std::size_t>> TcpProxyConnection::route_client_hello() {
  deadline_.wait_for(snapshot_->config->timeouts.header_read, true);
  for (;;) {
    const std::size_t had = early_.size();
    early_.resize(had + kReadChunk);
    auto [ec, received] = co_await client_.async_read_some(
        asio::buffer(early_.data() + had, kReadChunk), core::kAsTuple);
    early_.resize(had + received);
    if (ec) {
      deadline_.disarm();
      co_return std::nullopt;
    }
    const SniPeek peek = peek_server_name(early_);
    if (peek.status == SniPeek::Status::kNeedMore && early_.size() < kMaxEarlyBytes) continue;
    deadline_.disarm();
    if (peek.status != SniPeek::Status::kDone) {
      BULWARK_LOG_DEBUG(
          "{}: ClientHello from {} refused: {}", listener_.name,
          client_endpoint_.address().to_string(),
          peek.status == SniPeek::Status::kError ? peek.error : "the ClientHello is too large");
      co_return std::nullopt;
    }
    std::optional<std::size_t> cluster = route_server_name(listener_.layer4, peek.server_name);
    if (!cluster) {
      BULWARK_LOG_DEBUG("{}: no route for server name '{}' from {}", listener_.name,
                        peek.server_name, client_endpoint_.address().to_string());
    }
    co_return cluster;
  }
}

core::Task<bool> TcpProxyConnection::connect(std::size_t cluster_index) {
  const upstream::Cluster& cluster = snapshot_->clusters[cluster_index];
  const config::Cluster& spec = snapshot_->config->clusters[cluster_index];
  const std::size_t count = cluster.endpoints.size();
  if (count == 0) co_return false;
  upstream::EndpointPicker* picker = worker_.picker(*snapshot_, cluster_index);
  const std::string client_text = client_endpoint_.address().to_string();
  const upstream::PickContext context{.client_address = client_text};
  core::Clock::time_point now = core::Clock::now();
  std::optional<std::size_t> picked =
      picker != nullptr ? picker->pick(context, now) : worker_.stale_pick(count);
  // Each endpoint is tried at most once.
  for (std::size_t attempt = 0; picked && attempt < count; ++attempt) {
    const std::size_t i = *picked;
    const upstream::ClusterEndpoint& endpoint = cluster.endpoints[i];
    asio::error_code ignored;
    upstream_.close(ignored);
    deadline_.wait_for(snapshot_->config->timeouts.upstream_connect, true);
    const core::Clock::time_point started = core::Clock::now();
    auto [ec] = co_await upstream_.async_connect(endpoint.address, core::kAsTuple);
    const bool timed_out = deadline_.expired();
    deadline_.disarm();
    now = core::Clock::now();
    if (!ec) {
      upstream::record_outcome(spec.outlier_detection, cluster, i,
                               upstream::AttemptOutcome::kSuccess, now);
      if (picker != nullptr) picker->on_request_start(i);
      endpoint_ = i;
      cluster_ = cluster_index;
      connected_at_ = now;
      upstream_label_ = endpoint.label;
      upstream_.set_option(asio::ip::tcp::no_delay(true), ignored);
      client_.set_option(asio::ip::tcp::no_delay(true), ignored);
      co_return true;
    }
    BULWARK_LOG_WARN("upstream {}: connect failed: {}", endpoint.label,
                     timed_out ? "timed out" : ec.message());
    // The client went away meanwhile, or the drain closed a connection not yet set up.
    if (ec == asio::error::operation_aborted && !timed_out) co_return false;
    upstream::record_outcome(spec.outlier_detection, cluster, i,
                             upstream::AttemptOutcome::kGatewayError, now);
    if (picker != nullptr) {
      picker->on_request_start(i);
      picker->on_request_end(i, std::chrono::duration_cast<std::chrono::nanoseconds>(now - started),
                             false);
    }
    picked = picker != nullptr ? picker->pick_other(context, now, i) : (i + 1) % count;
  }
  co_return false;
}

core::Task<bool> TcpProxyConnection::send_preamble(const config::Cluster& spec) {
  if (spec.send_proxy_protocol) {
    if (destination_.port() == 0) {
      asio::error_code ignored;
      destination_ = client_.local_endpoint(ignored);
    }
    const std::error_code ec = co_await send_proxy_header(upstream_, *spec.send_proxy_protocol,
                                                          client_endpoint_, destination_);
    if (ec) co_return false;
  }
  if (early_.empty()) co_return true;
  auto [ec, written] = co_await asio::async_write(upstream_, asio::buffer(early_), core::kAsTuple);
  std::string().swap(early_);
  co_return !ec;
}

}  // namespace bulwark::proxy
