#include "proxy/downstream_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/write.hpp>
#include <cstdlib>
#include <cstring>

#include "core/io.h"
#include "core/log.h"
#include "core/slab.h"
#include "http/h1/serializer.h"
#include "net/send_file.h"
#include "net/tls/ktls.h"
#include "net/tls/secure_send_file.h"
#include "proxy/h2_connection.h"
#include "proxy/io.h"
#include "proxy/l4/proxy_protocol_io.h"
#include "proxy/stream_handler.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

constexpr std::chrono::seconds kLingerTime{2};
// Expires at the worker's next tick: a connection quiet for a tick is parked.
constexpr std::chrono::milliseconds kHotIdle{1};
constexpr std::size_t kLingerBytes = 1 << 20;
// RFC 9113 §3.4: what an HTTP/2 client sends first.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// A client on a dual-stack socket appears as ::ffff:a.b.c.d; logs and headers show a.b.c.d.
asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

// Checked once per process: whether OpenSSL may hand record encryption to the kernel, which
// then lets large static files go out with sendfile (net/tls/secure_send_file.h). The
// environment variable BULWARK_TLS_SOCKET_BIO makes listeners work as they do with kernel TLS on
// a kernel without it (OpenSSL's socket BIO, encryption in user space), so that the tests of
// this machine cover that way too.
bool kernel_tls_available() {
  static const bool available =
      net::tls::detect_kernel_tls().available || std::getenv("BULWARK_TLS_SOCKET_BIO") != nullptr;
  return available;
}

}  // namespace

DownstreamConnection::DownstreamConnection(WorkerContext& worker, SnapshotPtr snapshot,
                                           std::size_t listener, core::TcpSocket socket,
                                           const asio::ip::tcp::endpoint& peer)
    : ClientSide(worker),
      snapshot_(std::move(snapshot)),
      listener_(&snapshot_->listeners[listener]),
      transport_(std::move(socket)),
      deadline_(worker.timeouts, transport_.socket()),
      peer_{.address = unmap(peer.address()), .port = peer.port()} {
  peer_.trusted = snapshot_->trusts(peer_.address);
  worker.open_connections.fetch_add(1, std::memory_order_relaxed);
}

DownstreamConnection::~DownstreamConnection() {
  if (stream_) finish_stream();
  transport_.notify_close();  // a TLS client learns the close was meant (close_notify)
  if (counted_) worker().limiter.close(peer_.address);
  worker().open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void* DownstreamConnection::operator new(std::size_t size) {
  static_assert(sizeof(DownstreamConnection) <=
                core::Slab<sizeof(DownstreamConnection)>::kBlockSize);
  (void)size;
  return core::Slab<sizeof(DownstreamConnection)>::allocate();
}

void DownstreamConnection::operator delete(void* block) noexcept {
  core::Slab<sizeof(DownstreamConnection)>::deallocate(block);
}

void DownstreamConnection::start(std::unique_ptr<DownstreamConnection> self) {
  const std::optional<config::ProxyProtocolAccept>& proxied = self->listener_->spec->proxy_protocol;
  if (proxied && is_proxy_source(*proxied, self->peer_.address)) {
    asio::io_context& io = self->worker().io;
    const config::Duration timeout = proxied->timeout;
    asio::co_spawn(io, start_proxied(std::move(self), timeout), asio::detached);
    return;
  }
  start_serving(std::move(self));
}

core::Task<void> DownstreamConnection::start_proxied(std::unique_ptr<DownstreamConnection> self,
                                                     config::Duration timeout) {
  DownstreamConnection& connection = *self;
  // Labelled idle: a drain closes a connection that has not sent its header.
  connection.deadline_.wait_for(Waiting::kIdle, timeout);
  auto header = co_await receive_proxy_header(connection.transport_.socket());
  connection.deadline_.clear();
  if (!header) {
    BULWARK_LOG_DEBUG("PROXY header from {} refused: {}", connection.peer_.address.to_string(),
                      header.error());
    co_return;
  }
  if (!header->local) {
    ClientPeer& peer = connection.peer_;
    peer.address = unmap(header->source.address());
    peer.port = header->source.port();
    peer.destination = header->destination;
    peer.trusted = connection.snapshot_->trusts(peer.address);
  }
  start_serving(std::move(self));
}

void DownstreamConnection::start_serving(std::unique_ptr<DownstreamConnection> self) {
  bool refused = false;
  if (self->worker().limiter.enabled()) {
    self->counted_ = self->worker().limiter.try_open(self->peer_.address);
    refused = !self->counted_;
  }
  asio::io_context& io = self->worker().io;
  if (self->listener_->tls) {
    asio::co_spawn(io, start_secure(std::move(self), refused), asio::detached);
  } else if (refused) {
    asio::co_spawn(io, refuse(std::move(self)), asio::detached);
  } else {
    park(std::move(self));
  }
}

core::Task<void> DownstreamConnection::start_secure(std::unique_ptr<DownstreamConnection> self,
                                                    bool refused) {
  DownstreamConnection& connection = *self;
  net::tls::SslPtr ssl = connection.listener_->tls->new_ssl();
  if (!ssl) co_return;
  // Kernel TLS needs OpenSSL's socket BIO; elsewhere bulwark's own BIO is cheaper (transport.h).
  const bool kernel_offload = kernel_tls_available();
  if (kernel_offload) SSL_set_options(ssl.get(), SSL_OP_ENABLE_KTLS);
  connection.transport_.start_tls(std::move(ssl), kernel_offload);
  // Labelled idle: a drain closes a connection that has not finished its handshake.
  connection.deadline_.wait_for(Waiting::kIdle, connection.snapshot_->config->timeouts.header_read);
  const std::error_code ec = co_await connection.transport_.handshake();
  connection.deadline_.clear();
  connection.worker().metrics.record(connection.worker().index, connection.listener_->metrics,
                                     ec ? core::TlsHandshake::kFailed
                                     : SSL_session_reused(connection.transport_.ssl()) == 1
                                         ? core::TlsHandshake::kResumed
                                         : core::TlsHandshake::kFull);
  if (ec) {
    BULWARK_LOG_DEBUG(
        "TLS handshake with {} failed: {}", connection.peer_.address.to_string(),
        ec == std::errc::protocol_error ? net::tls::take_openssl_errors() : ec.message());
    co_return;
  }
  connection.note_handshake();
  if (!refused && net::tls::selected_alpn(connection.transport_.ssl()) == "h2") {
    co_await H2Connection::serve(std::move(self));
    co_return;
  }
  if (refused) {
    co_await refuse(std::move(self));
  } else {
    co_await serve(std::move(self));
  }
}

void DownstreamConnection::note_handshake() {
  const std::optional<config::ListenerTls>& tls = listener_->spec->tls;
  if (!tls || tls->client_certificates.mode == config::ClientCertificates::Mode::kOff) return;
  SSL* ssl = transport_.ssl();
  if (auto identity = net::tls::verified_client_identity(ssl)) {
    client_identity_ = std::make_unique<net::tls::ClientIdentity>(std::move(*identity));
    peer_.identity = client_identity_.get();
  } else {
    // Optional client certificates let the handshake finish whatever the client presented; one
    // that does not verify is refused per request, as nginx does, rather than ignored.
    peer_.certificate_rejected = SSL_get0_peer_certificate(ssl) != nullptr;
  }
}

// The completion handler of a parked connection's read; it owns the connection meanwhile.
struct DownstreamConnection::ParkedRead {
  std::unique_ptr<DownstreamConnection> self;

  // From the connection slab: Asio would otherwise recycle a block freed by an earlier, larger
  // operation (a ~500-byte write op) for this ~160-byte read, and every parked connection would
  // hold the difference in the general heap.
  using allocator_type = core::SlabAllocator<void>;
  [[nodiscard]] allocator_type get_allocator() const noexcept { return {}; }

  void operator()(const asio::error_code& ec, std::size_t received) {
    DownstreamConnection& connection = *self;
    connection.deadline_.clear();
    if (ec == asio::error::operation_aborted) received = connection.read_after_drain();
    // Closed, or idle too long: destroying the object closes the socket.
    if (received == 0 || (ec && ec != asio::error::operation_aborted)) return;
    if (connection.transport_.secure()) {
      // Ciphertext: the first read of the served coroutine decrypts it.
      connection.transport_.feed({connection.idle_read_.data(), received});
    } else {
      connection.adopt_idle_read(received);
    }
    asio::co_spawn(connection.worker().io, serve(std::move(self)), asio::detached);
  }
};

void DownstreamConnection::park(std::unique_ptr<DownstreamConnection> self) {
  DownstreamConnection& connection = *self;
  connection.in_.release();
  const config::Timeouts& timeouts = connection.snapshot_->config->timeouts;
  connection.deadline_.reset_expired();
  // A new connection gets header_read to send its first request, as nginx does.
  connection.deadline_.wait_for(Waiting::kIdle,
                                connection.requests_ == 0 ? timeouts.header_read : timeouts.idle);
  // A TLS connection is parked the same way: what arrives is ciphertext, fed to TLS when the
  // connection wakes. Only part of a record can be buffered here (a whole one would have been
  // decrypted before the connection went quiet), so no request can be waiting in TLS.
  connection.transport_.release_buffers();
  if (connection.transport_.kernel_offload()) {
    // OpenSSL reads this socket itself: wait until it is readable. (The wait re-arms epoll, so
    // bytes that came before it are seen too.)
    connection.transport_.socket().async_wait(
        asio::socket_base::wait_read,
        [read = ParkedRead{std::move(self)}](const asio::error_code& ec) mutable {
          if (ec) {
            read(ec, 0);
            return;
          }
          DownstreamConnection& woken = *read.self;
          woken.deadline_.clear();
          asio::co_spawn(woken.worker().io, serve(std::move(read.self)), asio::detached);
        });
    return;
  }
  connection.transport_.socket().async_read_some(asio::buffer(connection.idle_read_),
                                                 ParkedRead{std::move(self)});
}

core::Task<void> DownstreamConnection::serve(std::unique_ptr<DownstreamConnection> self) {
  DownstreamConnection& connection = *self;
  for (;;) {
    if (connection.in_.empty()) {
      bool quiet = false;
      if (!co_await connection.wait_hot(quiet)) co_return;
      if (quiet) {
        park(std::move(self));
        co_return;
      }
    }
    if (connection.requests_ == 0 && connection.starts_h2c()) {
      co_await H2Connection::serve(std::move(self));
      co_return;
    }
    std::optional<Next> parsed = connection.parse_request_head();
    const Next next = parsed ? *parsed : co_await connection.read_more_head();
    if (next == Next::kClosed) co_return;
    bool keep_alive = false;
    if (next == Next::kRejected) {
      connection.linger_ = true;
      const LocalReply reply = connection.stream_->local_reply.value_or(
          LocalReply{.status = 500, .detail = "the request was refused"});
      co_await send_local_reply(connection, *connection.stream_, reply, false);
    } else {
      ++connection.requests_;
      keep_alive = co_await StreamHandler(connection, *connection.stream_).serve();
    }
    connection.finish_stream();
    if (!keep_alive || connection.closing()) {
      if (connection.linger_) co_await connection.linger_close();
      co_return;
    }
  }
}

core::Task<bool> DownstreamConnection::wait_hot(bool& park) {
  in_.release();
  deadline_.reset_expired();
  deadline_.wait_for(Waiting::kIdleHot, kHotIdle);
  auto [ec, received] = co_await transport_.read_some(asio::buffer(idle_read_));
  const bool quiet = ec == asio::error::operation_aborted &&
                     deadline_.expired() == Waiting::kIdleHot && !worker().draining;
  deadline_.clear();
  if (ec == asio::error::operation_aborted && !quiet) received = read_after_drain();
  if (received == 0 || (ec && ec != asio::error::operation_aborted)) {
    park = quiet;
    co_return quiet;
  }
  adopt_idle_read(received);
  co_return true;
}

std::size_t DownstreamConnection::read_after_drain() {
  // Only a drain (not an idle timeout) lets a request that already arrived be served.
  if (!worker().draining || deadline_.expired() != Waiting::kNothing) return 0;
  auto [ec, received] = transport_.try_read(asio::buffer(idle_read_));
  return ec ? 0 : received;
}

void DownstreamConnection::adopt_idle_read(std::size_t received) {
  in_ = worker().buffers.take();
  std::memcpy(in_.writable().data(), idle_read_.data(), received);
  in_.commit(received);
}

core::Task<void> DownstreamConnection::refuse(std::unique_ptr<DownstreamConnection> self) {
  self->start_stream();
  co_await send_local_reply(*self, *self->stream_,
                            {.status = 429, .detail = "too many connections from your address"},
                            false);
  self->finish_stream();
  co_await self->linger_close();
}

bool DownstreamConnection::starts_h2c() const noexcept {
  const config::Http2Settings& http2 = listener_->spec->http2;
  if (!http2.enabled || !http2.cleartext || transport_.secure()) return false;
  const std::string_view received = view(in_.readable());
  const std::size_t size = std::min(received.size(), kH2Preface.size());
  return size > 0 && received.substr(0, size) == kH2Preface.substr(0, size);
}

std::optional<DownstreamConnection::Next> DownstreamConnection::parse_request_head() {
  start_stream();
  auto parsed = stream_->request_parser.parse(view(in_.readable()), stream_->request);
  if (!parsed) {
    stream_->respond({.status = static_cast<std::uint16_t>(parsed.error().http_status()),
                      .detail = parsed.error().detail});
    return Next::kRejected;
  }
  if (*parsed == 0) return std::nullopt;
  in_.consume(*parsed);
  body_start_ = in_.offset();
  return Next::kRequest;
}

core::Task<DownstreamConnection::Next> DownstreamConnection::read_more_head() {
  http::h1::RequestParser& parser = stream_->request_parser;
  deadline_.reset_expired();
  deadline_.wait_for(Waiting::kRequestHead, snapshot_->config->timeouts.header_read);
  for (;;) {
    if (in_.writable().empty()) {
      if (in_.offset() == 0) {  // the parser's limits should have stopped this already
        deadline_.clear();
        stream_->respond({.status = 431, .detail = "the request head is too large"});
        co_return Next::kRejected;
      }
      in_.compact();
    }
    auto [ec, received] = co_await transport_.read_some(to_asio(in_.writable()));
    if (ec || received == 0) {
      if (deadline_.expired() == Waiting::kRequestHead) {
        stream_->respond({.status = 408, .detail = "the request head did not arrive in time"});
        co_return Next::kRejected;
      }
      deadline_.clear();
      co_return Next::kClosed;  // the client went away mid-head: nobody to answer
    }
    in_.commit(received);
    auto parsed = parser.parse(view(in_.readable()), stream_->request);
    if (!parsed) {
      deadline_.clear();
      stream_->respond({.status = static_cast<std::uint16_t>(parsed.error().http_status()),
                        .detail = parsed.error().detail});
      co_return Next::kRejected;
    }
    if (*parsed > 0) {
      deadline_.clear();
      in_.consume(*parsed);
      body_start_ = in_.offset();
      co_return Next::kRequest;
    }
  }
}

void DownstreamConnection::adopt_current_snapshot() {
  const SnapshotPtr& current = worker().snapshot();
  if (current == snapshot_) return;
  const ListenerRuntime* listener = current->find_listener(listener_->spec->name);
  if (listener == nullptr) {
    // The reload removed this connection's listener: the request that arrived is served on the
    // old snapshot, and then the connection closes.
    listener_removed_ = true;
    return;
  }
  snapshot_ = current;
  listener_ = listener;
  peer_.trusted = snapshot_->trusts(peer_.address);
}

void DownstreamConnection::start_stream() {
  if (stream_) finish_stream();
  adopt_current_snapshot();
  stream_ = worker().take_stream();
  stream_->prepare(snapshot_->parser_limits);
  start_stream_info(*this, *stream_);
}

void DownstreamConnection::finish_stream() {
  if (stream_) proxy::finish_stream(worker(), std::move(stream_));
}

bool DownstreamConnection::closing() const noexcept {
  return worker().draining || listener_removed_;
}

core::Task<bool> DownstreamConnection::write(std::span<const asio::const_buffer> pieces) {
  deadline_.wait_for(Waiting::kClientWrite, snapshot_->config->timeouts.send);
  auto [ec, written] = co_await transport_.write(pieces);
  deadline_.clear();
  co_return !ec;
}

core::Task<void> DownstreamConnection::linger_close() {
  asio::error_code ignored;
  transport_.notify_close();
  transport_.socket().shutdown(asio::socket_base::shutdown_send, ignored);
  in_.release();
  deadline_.wait_for(Waiting::kRequestBody, kLingerTime);  // any label but kIdle: no drain
  for (std::size_t total = 0; total < kLingerBytes;) {
    auto [ec, received] =
        co_await transport_.socket().async_read_some(asio::buffer(idle_read_), kAsTuple);
    if (ec || received == 0) break;
    total += received;
  }
  deadline_.clear();
}

}  // namespace bulwark::proxy
