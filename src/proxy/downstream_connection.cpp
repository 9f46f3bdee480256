#include "proxy/downstream_connection.h"

#include <arpa/inet.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/write.hpp>
#include <cstdlib>
#include <cstring>

#include "core/io.h"
#include "core/log.h"
#include "core/slab.h"
#include "filters/request_id/request_id_filter.h"
#include "http/h1/serializer.h"
#include "http/path_normalizer.h"
#include "net/tls/ktls.h"
#include "proxy/error_page.h"
#include "proxy/io.h"
#include "proxy/l4/proxy_protocol_io.h"
#include "proxy/tls_headers.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"
#include "router/redirect.h"

namespace bulwark::proxy {
namespace {

constexpr std::chrono::seconds kLingerTime{2};
// Expires at the worker's next tick: a connection quiet for a tick is parked.
constexpr std::chrono::milliseconds kHotIdle{1};
constexpr std::size_t kLingerBytes = 1 << 20;

// A client on a dual-stack socket appears as ::ffff:a.b.c.d; logs and headers show a.b.c.d.
asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

// Formatted per stream, not kept per connection: idle connections stay small. IPv4 is formatted
// by hand because inet_ntop goes through sprintf, which showed in profiles.
std::string_view address_text(const asio::ip::address& address, core::Arena& arena) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  std::size_t size = 0;
  if (address.is_v4()) {
    for (const unsigned char byte : address.to_v4().to_bytes()) {
      if (size != 0) text[size++] = '.';
      if (byte >= 100) text[size++] = static_cast<char>('0' + byte / 100);
      if (byte >= 10) text[size++] = static_cast<char>('0' + byte / 10 % 10);
      text[size++] = static_cast<char>('0' + byte % 10);
    }
  } else {
    const auto bytes = address.to_v6().to_bytes();
    inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
    size = std::strlen(text.data());
  }
  return arena.copy(std::string_view(text.data(), size));
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
    : worker_(worker),
      snapshot_(std::move(snapshot)),
      listener_(&snapshot_->listeners[listener]),
      transport_(std::move(socket)),
      deadline_(worker.timeouts, transport_.socket()),
      client_address_(unmap(peer.address())),
      client_port_(peer.port()),
      trusted_(snapshot_->trusts(client_address_)) {
  worker_.open_connections.fetch_add(1, std::memory_order_relaxed);
}

DownstreamConnection::~DownstreamConnection() {
  if (stream_) finish_stream();
  transport_.notify_close();  // a TLS client learns the close was meant (close_notify)
  if (counted_) worker_.limiter.close(client_address_);
  worker_.open_connections.fetch_sub(1, std::memory_order_relaxed);
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
  if (proxied && is_proxy_source(*proxied, self->client_address_)) {
    asio::io_context& io = self->worker_.io;
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
    BULWARK_LOG_DEBUG("PROXY header from {} refused: {}", connection.client_address_.to_string(),
                      header.error());
    co_return;
  }
  if (!header->local) {
    connection.client_address_ = unmap(header->source.address());
    connection.client_port_ = header->source.port();
    connection.destination_ = header->destination;
    connection.trusted_ = connection.snapshot_->trusts(connection.client_address_);
  }
  start_serving(std::move(self));
}

asio::ip::tcp::endpoint DownstreamConnection::destination() {
  if (destination_.port() != 0) return destination_;
  asio::error_code ignored;
  return transport_.socket().local_endpoint(ignored);
}

void DownstreamConnection::start_serving(std::unique_ptr<DownstreamConnection> self) {
  bool refused = false;
  if (self->worker_.limiter.enabled()) {
    self->counted_ = self->worker_.limiter.try_open(self->client_address_);
    refused = !self->counted_;
  }
  asio::io_context& io = self->worker_.io;
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
  if (ec) {
    BULWARK_LOG_DEBUG(
        "TLS handshake with {} failed: {}", connection.client_address_.to_string(),
        ec == std::errc::protocol_error ? net::tls::take_openssl_errors() : ec.message());
    co_return;
  }
  connection.note_handshake();
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
  } else {
    // Optional client certificates let the handshake finish whatever the client presented; one
    // that does not verify is refused per request, as nginx does, rather than ignored.
    client_certificate_rejected_ = SSL_get0_peer_certificate(ssl) != nullptr;
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
    asio::co_spawn(connection.worker_.io, serve(std::move(self)), asio::detached);
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
          asio::co_spawn(woken.worker_.io, serve(std::move(read.self)), asio::detached);
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
    std::optional<Next> parsed = connection.parse_request_head();
    const Next next = parsed ? *parsed : co_await connection.read_more_head();
    if (next == Next::kClosed) co_return;
    bool keep_alive = false;
    if (next == Next::kRejected) {
      connection.linger_ = true;
      const LocalReply reply = connection.stream_->local_reply.value_or(
          LocalReply{.status = 500, .detail = "the request was refused"});
      co_await connection.send_local_reply(*connection.stream_, reply, false);
    } else {
      keep_alive = co_await connection.serve_stream(*connection.stream_);
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
                     deadline_.expired() == Waiting::kIdleHot && !worker_.draining;
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
  if (!worker_.draining || deadline_.expired() != Waiting::kNothing) return 0;
  auto [ec, received] = transport_.try_read(asio::buffer(idle_read_));
  return ec ? 0 : received;
}

void DownstreamConnection::adopt_idle_read(std::size_t received) {
  in_ = worker_.buffers.take();
  std::memcpy(in_.writable().data(), idle_read_.data(), received);
  in_.commit(received);
}

core::Task<void> DownstreamConnection::refuse(std::unique_ptr<DownstreamConnection> self) {
  self->start_stream();
  co_await self->send_local_reply(
      *self->stream_, {.status = 429, .detail = "too many connections from your address"}, false);
  self->finish_stream();
  co_await self->linger_close();
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
  const SnapshotPtr& current = worker_.snapshot();
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
  trusted_ = snapshot_->trusts(client_address_);
}

void DownstreamConnection::start_stream() {
  if (stream_) finish_stream();
  adopt_current_snapshot();
  stream_ = worker_.take_stream();
  stream_->prepare(snapshot_->parser_limits);
  StreamInfo& info = stream_->info();
  info.client_address = client_address_;
  info.client_port = client_port_;
  info.client_address_text = address_text(client_address_, stream_->arena());
  info.scheme = transport_.secure() ? "https" : "http";
  info.listener_name = listener_->spec->name;
  info.client_trusted = trusted_;
  info.start = core::Clock::now();
}

void DownstreamConnection::finish_stream() {
  if (!stream_) return;
  log_stream(*stream_);
  stream_->chain.stream_done(
      {.status = stream_->response.status, .completed = stream_->failure.empty()});
  worker_.give_back(std::move(stream_));
}

void DownstreamConnection::log_stream(const Stream& stream) {
  if (!worker_.access_log.enabled()) return;
  const http::RequestHead& request = stream.request;
  const StreamInfo& info = const_cast<Stream&>(stream).info();
  worker_.access_log.log({
      .remote_addr = info.client_address_text,
      .method = request.method_token,
      .target = request.target,
      .version_minor = request.version_minor,
      .status = stream.response.status,
      .bytes_sent = stream.body_bytes_sent,
      .referer = request.headers.get("referer"),
      .user_agent = request.headers.get("user-agent"),
      .host = request.host(),
      .request_id = info.request_id,
      .listener = info.listener_name,
      .upstream_addr = stream.upstream_label,
      .upstream_status = stream.upstream_status,
      .upstream_time = stream.upstream_time,
      .duration = core::Clock::now() - info.start,
      .failure = stream.failure,
  });
}

router::RouteHit DownstreamConnection::route(const http::RequestHead& request) const {
  return listener_->router.route({.host = request.host(),
                                  .target = request.path,
                                  .method = request.method_token,
                                  .headers = &request.headers,
                                  .client = client_address_,
                                  .local_port = listener_->endpoint.port()});
}

core::Task<bool> DownstreamConnection::serve_stream(Stream& stream) {
  ++requests_;
  http::RequestHead& request = stream.request;
  const config::Config& config = *snapshot_->config;
  stream.request_body.start(request.framing, request.content_length);
  const bool has_body = request.framing != http::BodyFraming::kNone;
  // A reply that does not read the request body cannot keep the connection.
  const bool keep_if_local = !has_body;
  if (has_body) linger_ = true;  // cleared below once the body has been read

  // Routing, filters and the backend all see one spelling of the path (http/path_normalizer.h).
  std::string normal_path;
  switch (http::normalize_path(request.path, normal_path)) {
    case http::PathNormalization::kUnchanged:
      break;
    case http::PathNormalization::kChanged:
      request.path = stream.arena().copy(normal_path);
      break;
    case http::PathNormalization::kInvalid:
      stream.chain.build(snapshot_->builtin_filters, stream.arena());
      co_return co_await send_local_reply(
          stream, {.status = 400, .detail = "the request path is malformed or leaves the root"},
          keep_if_local);
  }

  if (client_certificate_rejected_) {
    stream.chain.build(snapshot_->builtin_filters, stream.arena());
    co_return co_await send_local_reply(
        stream, {.status = 400, .detail = "the client certificate did not verify"}, keep_if_local);
  }
  if (listener_->spec->redirect_to_https) {
    stream.chain.build(snapshot_->builtin_filters, stream.arena());
    co_return co_await redirect_to_https(stream, *listener_->spec->redirect_to_https,
                                         keep_if_local);
  }

  // The route comes first: it chooses the filters (DESIGN.md §2a: per virtual host, overridden
  // per route). A request no route takes still runs the built-in ones.
  const router::RouteHit hit = route(request);
  const RouteRuntime* runtime = hit.route != nullptr ? &listener_->runtime_of(hit) : nullptr;
  stream.chain.build(runtime != nullptr ? runtime->filters : snapshot_->builtin_filters,
                     stream.arena());
  if (hit.route != nullptr) stream.info().route_name = hit.route->name;

  if (request.method == http::Method::kConnect) {
    co_return co_await send_local_reply(
        stream, {.status = 501, .detail = "CONNECT tunnels are not supported"}, false);
  }
  if (config.limits.max_body_bytes != 0 && request.framing == http::BodyFraming::kContentLength &&
      request.content_length > config.limits.max_body_bytes) {
    co_return co_await send_local_reply(
        stream, {.status = 413, .detail = "the request body is larger than allowed"}, false);
  }

  Verdict verdict = stream.chain.request_headers(request, !has_body, stream);
  while (verdict == Verdict::kPause) {
    co_await stream.wait_for_resume();
    verdict = stream.chain.request_headers(request, !has_body, stream);
  }
  if (verdict == Verdict::kBuffer) {
    verdict = stream.respond({.status = 500, .detail = "request body buffering is not available"});
  }
  if (verdict == Verdict::kRespond) {
    co_return co_await send_local_reply(stream, *stream.local_reply, keep_if_local);
  }
  if (hit.route == nullptr) {
    co_return co_await send_local_reply(
        stream, {.status = 404, .detail = "no route matches this request"}, keep_if_local);
  }
  if (hit.route->require_client_certificate && !client_identity_) {
    co_return co_await send_local_reply(
        stream, {.status = 403, .detail = "this resource requires a verified client certificate"},
        keep_if_local);
  }
  // Proxying, the common action, awaits the upstream leg from this frame: every coroutine level
  // is one more frame to allocate per request.
  if (const auto* proxy = std::get_if<config::ProxyAction>(&hit.route->action)) {
    // The deleter only runs the destructor: the arena owns the memory.
    const auto destroy = [](UpstreamLeg* leg) { std::destroy_at(leg); };
    const std::unique_ptr<UpstreamLeg, decltype(destroy)> leg(
        start_upstream_leg(stream, *proxy, hit.route->match, *runtime), destroy);
    co_return co_await leg->run();
  }
  co_return co_await reply_locally(stream, *hit.route, *runtime, keep_if_local);
}

core::Task<bool> DownstreamConnection::reply_locally(Stream& stream, const config::Route& route,
                                                     const RouteRuntime& runtime,
                                                     bool keep_if_local) {
  const config::Action& action = route.action;
  if (const auto* direct = std::get_if<config::DirectResponseAction>(&action)) {
    co_return co_await send_local_reply(stream, {.status = direct->status, .body = direct->body},
                                        keep_if_local, direct->headers);
  }
  if (const auto* files = std::get_if<config::StaticAction>(&action)) {
    co_return co_await serve_static(stream, *files, route, keep_if_local);
  }
  if (const auto* redirect = std::get_if<config::RedirectAction>(&action)) {
    const std::string location =
        router::redirect_location(*redirect, runtime.rewrite ? &*runtime.rewrite : nullptr,
                                  {.scheme = stream.info().scheme,
                                   .host = stream.request.host(),
                                   .target = stream.request.path});
    const std::array<http::HeaderField, 1> fields{{{"location", location}}};
    co_return co_await send_local_reply(
        stream, {.status = redirect->status, .detail = "redirected", .headers = fields},
        keep_if_local);
  }
  co_return co_await send_local_reply(
      stream, {.status = 501, .detail = "this route's action is not available"}, keep_if_local);
}

UpstreamLeg* DownstreamConnection::start_upstream_leg(Stream& stream,
                                                      const config::ProxyAction& action,
                                                      const config::RouteMatch& match,
                                                      const RouteRuntime& runtime) {
  http::RequestHead& request = stream.request;
  if (runtime.rewrite) request.path = stream.arena().copy(runtime.rewrite->apply(request.path));
  if (action.prefix_rewrite) {
    StreamInfo& info = stream.info();
    info.public_path_prefix = match.path;
    info.upstream_path_prefix = *action.prefix_rewrite;
  }
  if (!action.host_rewrite.empty()) request.headers.set("host", action.host_rewrite);
  static const config::ClientCertificates default_names;
  const config::Listener& listener = *listener_->spec;
  set_client_certificate_headers(request.headers,
                                 listener.tls ? listener.tls->client_certificates : default_names,
                                 client_identity_.get());
  // In the stream's arena, not in a coroutine frame: a frame that large would miss Asio's
  // recycling of frames and go to malloc for every request.
  return stream.arena().make<UpstreamLeg>(*this, stream, snapshot_->clusters[action.cluster_index],
                                          action);
}

bool DownstreamConnection::closing() const noexcept {
  return worker_.draining || listener_removed_;
}

core::Task<bool> DownstreamConnection::write(std::span<const asio::const_buffer> pieces) {
  deadline_.wait_for(Waiting::kClientWrite, snapshot_->config->timeouts.send);
  auto [ec, written] = co_await transport_.write(pieces);
  deadline_.clear();
  co_return !ec;
}

core::Task<bool> DownstreamConnection::send_local_reply(Stream& stream, const LocalReply& reply,
                                                        bool keep_alive, ExtraHeaders extra) {
  http::ResponseHead& response = stream.response;
  response.headers.clear();
  response.status = reply.status;
  response.reason = {};
  response.version_minor = stream.request.version_minor;
  StreamInfo& info = stream.info();
  if (info.request_id.empty()) info.request_id = filters::generate_request_id(stream.arena());

  std::string_view body = reply.body;
  std::string_view content_type = reply.content_type;
  if (body.empty() && reply.status >= 400) {
    if (const config::ErrorPage* own = find_error_page(*snapshot_->config, reply.status)) {
      body = own->body;
      content_type = own->content_type;
    } else {
      const ErrorPage page = render_error_page(reply.status, reply.detail, info.request_id,
                                               stream.request.headers.get("accept"));
      body = stream.arena().copy(page.body);
      content_type = page.content_type;
    }
  }
  if (!body.empty()) {
    response.headers.add("content-type",
                         content_type.empty() ? "text/plain; charset=utf-8" : content_type);
  }
  for (const auto& [name, value] : extra)
    response.headers.set(name, value);
  for (const http::HeaderField& field : reply.headers)
    response.headers.set(field.name, field.value);
  const bool head_only = stream.request.method == http::Method::kHead;
  if (head_only) {
    response.framing = http::BodyFraming::kNone;
    response.headers.set("content-length", stream.arena().copy(std::to_string(body.size())));
  } else {
    response.framing = http::BodyFraming::kContentLength;
    response.content_length = body.size();
  }
  finish_local_head(stream, keep_alive, body.empty() || head_only);
  if (!reply.detail.empty() && reply.status >= 400) stream.failure = reply.detail;

  core::Buffer out = worker_.buffers.take();
  const std::size_t head_size = http::h1::write_response_head(response, out.writable());
  if (head_size == 0) co_return false;  // headers larger than a buffer: nothing sane to send
  const std::array<asio::const_buffer, 2> pieces = {
      asio::const_buffer(out.writable().data(), head_size),
      asio::const_buffer(body.data(), head_only ? 0 : body.size())};
  const bool written = co_await write(pieces);
  stream.body_bytes_sent = head_only ? 0 : body.size();
  co_return written&& response.keep_alive;
}

void DownstreamConnection::finish_local_head(Stream& stream, bool keep_alive, bool end_stream) {
  http::ResponseHead& response = stream.response;
  StreamInfo& info = stream.info();
  if (info.request_id.empty()) info.request_id = filters::generate_request_id(stream.arena());
  response.keep_alive = keep_alive && stream.request.keep_alive && !closing();
  if (!response.headers.has("date")) response.headers.add("date", worker_.http_date());
  // A request refused before routing has no chain yet; the built-in one still marks the reply
  // as bulwark's (request id, Server).
  if (stream.chain.size() == 0) stream.chain.build(snapshot_->builtin_filters, stream.arena());
  // A filter cannot replace a local reply with another one: verdicts are not acted on here.
  stream.chain.response_headers(response, end_stream, stream);
  add_listener_headers(response);
}

void DownstreamConnection::add_listener_headers(http::ResponseHead& response) const {
  if (!listener_->hsts.empty()) response.headers.set("strict-transport-security", listener_->hsts);
}

core::Task<bool> DownstreamConnection::redirect_to_https(Stream& stream, std::uint16_t port,
                                                         bool keep_alive) {
  const http::RequestHead& request = stream.request;
  const std::optional<std::string> location = https_location(request.host(), port, request.target);
  if (!location) {
    co_return co_await send_local_reply(
        stream, {.status = 400, .detail = "a request without a Host cannot be redirected"},
        keep_alive);
  }
  const bool safe = request.method == http::Method::kGet || request.method == http::Method::kHead;
  const std::array<http::HeaderField, 1> fields{{{"location", *location}}};
  co_return co_await send_local_reply(stream,
                                      {.status = static_cast<std::uint16_t>(safe ? 301 : 308),
                                       .detail = "redirected to HTTPS",
                                       .headers = fields},
                                      keep_alive);
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
