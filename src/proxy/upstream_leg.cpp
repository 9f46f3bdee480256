#include "proxy/upstream_leg.h"

#include <array>
#include <asio/connect.hpp>
#include <asio/write.hpp>

#include "core/io.h"
#include "core/log.h"
#include "http/h1/serializer.h"
#include "proxy/body_relay.h"
#include "proxy/client_side.h"
#include "proxy/error_page.h"
#include "proxy/io.h"
#include "proxy/l4/proxy_protocol_io.h"
#include "proxy/stream_handler.h"
#include "proxy/worker_context.h"
#include "upstream/lb/hash_key.h"
#include "upstream/retry_policy.h"

namespace bulwark::proxy {
namespace {

// The filters of one direction (a FilterChain body hook), as the relay sees them.
template <Verdict (FilterChain::*kHook)(BodyChunk&, bool, Context&)>
class ChainTap final : public BodyTap {
 public:
  explicit ChainTap(Stream& stream) : stream_(stream) {}
  Verdict on_chunk(BodyChunk& chunk, bool end_stream) override {
    return (stream_.chain.*kHook)(chunk, end_stream, stream_);
  }
  [[nodiscard]] bool reads_on_without_sink() const noexcept override {
    return stream_.whole_response_wanted();
  }

 private:
  Stream& stream_;
};
using RequestBodyTap = ChainTap<&FilterChain::request_body>;
using ResponseBodyTap = ChainTap<&FilterChain::response_body>;

}  // namespace

UpstreamLeg::UpstreamLeg(ClientSide& client, Stream& stream, const upstream::Cluster& cluster,
                         const config::ProxyAction& action)
    : client_(client),
      stream_(stream),
      cluster_(cluster),
      cluster_index_(action.cluster_index),
      spec_(client.snapshot().config->clusters[action.cluster_index]),
      retry_policy_(action.retry ? *action.retry : spec_.retry),
      connect_timeout_(
          action.timeouts.connect.value_or(client.snapshot().config->timeouts.upstream_connect)),
      read_timeout_(
          action.timeouts.read.value_or(client.snapshot().config->timeouts.upstream_read)),
      write_timeout_(
          action.timeouts.write.value_or(client.snapshot().config->timeouts.upstream_write)),
      head_timeout_(retry_policy_.per_try_timeout.value_or(read_timeout_)),
      websocket_(action.websocket),
      response_parser_(client.snapshot().parser_limits),
      response_body_(client.snapshot().parser_limits),
      started_(core::Clock::now()),
      may_multiplex_(spec_.protocol == config::UpstreamProtocol::kH2 ||
                     spec_.protocol == config::UpstreamProtocol::kH2c ||
                     spec_.protocol == config::UpstreamProtocol::kAuto) {
  const std::optional<config::FastCgiSettings>& fastcgi = spec_.fastcgi;
  if (spec_.protocol == config::UpstreamProtocol::kFastCgi && fastcgi.has_value()) {
    fastcgi_.emplace(*fastcgi, client.snapshot().parser_limits, client.worker().buffers,
                     stream.upstream_label);
  }
}

UpstreamLeg::~UpstreamLeg() {
  // The request is outstanding until its response was relayed (or it failed).
  track_end(answered_);
  stream_.info().upstream_retries = retries_;
  upstream::ClusterCounters& counters = *cluster_.counters;
  if (counts_active_) counters.active_requests.fetch_sub(1, std::memory_order_relaxed);
  if (counts_retry_) counters.active_retries.fetch_sub(1, std::memory_order_relaxed);
  client_.deadline().set_upstream(nullptr);
}

upstream::EndpointPicker* UpstreamLeg::picker() const noexcept {
  return client_.worker().picker(client_.snapshot(), cluster_index_);
}

std::optional<std::size_t> UpstreamLeg::pick_endpoint(bool retry) {
  upstream::EndpointPicker* chooser = picker();
  const std::size_t count = cluster_.endpoints.size();
  // A request of a replaced snapshot: plain round robin, then the next endpoint in order.
  if (chooser == nullptr) {
    return retry ? (endpoint_index_ + 1) % count : client_.worker().stale_pick(count);
  }
  upstream::PickContext context{.client_address = stream_.info().client_address_text};
  if (spec_.hash_key) {
    context.hash_key =
        upstream::extract_hash_key(*spec_.hash_key, stream_.request, context.client_address);
  }
  if (retry) return chooser->pick_other(context, core::Clock::now(), endpoint_index_);
  if (cluster_.sticky) sticky_bound_ = cluster_.sticky->endpoint_in(stream_.request.headers);
  std::optional<std::size_t> picked = chooser->pick(context, started_, sticky_bound_);
  if (chooser->has_newly_disabled()) {
    for (const std::size_t i : chooser->take_newly_disabled()) {
      client_.worker().pools.pool_for(cluster_.endpoints[i].address, cluster_.pool).close_all();
    }
  }
  return picked;
}

void UpstreamLeg::track_start(std::size_t endpoint) {
  tracked_endpoint_ = endpoint;
  tracking_ = true;
  attempt_started_ = retries_ == 0 && !stale_retried_ ? started_ : core::Clock::now();
  if (upstream::EndpointPicker* chooser = picker()) chooser->on_request_start(endpoint);
}

void UpstreamLeg::track_end(bool ok) {
  if (!tracking_) return;
  tracking_ = false;
  // After a reload the picker that saw the start is gone: nothing to tell the new one.
  if (upstream::EndpointPicker* chooser = picker()) {
    // A relayed response counts until its head arrived; a failure until it was noticed.
    const core::Clock::duration latency =
        ok && answered_ ? stream_.upstream_time : core::Clock::now() - attempt_started_;
    chooser->on_request_end(tracked_endpoint_,
                            std::chrono::duration_cast<std::chrono::nanoseconds>(latency), ok);
  }
}

void UpstreamLeg::note_outcome(upstream::AttemptOutcome outcome) {
  upstream::record_outcome(spec_.outlier_detection, cluster_, tracked_endpoint_, outcome,
                           core::Clock::now());
}

core::Task<bool> UpstreamLeg::run() {
  const bool keep_alive = co_await exchange();
  co_await join_request_pump();
  co_return keep_alive;
}

core::Task<bool> UpstreamLeg::exchange() {
  http::RequestHead& request = stream_.request;
  // bulwark answers Expect: 100-continue itself, right before it reads the body.
  const bool expect_continue = request.expect_continue;
  if (expect_continue) request.headers.remove("expect");
  // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host.
  if (request.target_form == http::TargetForm::kAbsolute)
    request.headers.set("host", request.authority);

  if (request.upgrade) {
    if (std::optional<LocalReply> refusal = prepare_upgrade()) {
      co_return co_await send_local_reply(client_, stream_, *refusal, false);
    }
  }
  // The upstream connection's persistence is bulwark's business, not the client's: a client's
  // "Connection: close" must not cost a pooled connection.
  const bool client_keep_alive = request.keep_alive;
  request.keep_alive = true;
  head_ = client_.worker().buffers.take();
  if (fastcgi_) {
    // PHP-FPM reads CONTENT_LENGTH bytes of body: a chunked one would reach the script empty.
    if (request.framing == http::BodyFraming::kChunked) {
      co_return co_await send_local_reply(
          client_, stream_, {.status = 411, .detail = "a FastCGI backend needs the body's length"},
          false);
    }
    const bool body_follows =
        request.framing != http::BodyFraming::kNone && !stream_.request_body.done();
    auto written = fastcgi_->write_request(request, stream_.info(), client_.listener().endpoint,
                                           body_follows, head_.writable());
    if (!written) co_return co_await fail(written.error());
    head_size_ = *written;
  } else {
    head_size_ = http::h1::write_request_head(request, head_.writable());
  }
  request.keep_alive = client_keep_alive;
  if (head_size_ == 0) {
    co_return co_await fail(
        {core::ErrorKind::kHeadersTooLarge, "the request head is too large to forward"});
  }
  if (cluster_.endpoints.empty()) {
    co_return co_await fail({core::ErrorKind::kNoHealthyUpstream, "the cluster has no endpoints"});
  }
  if (const std::uint32_t limit = spec_.circuit_breaker.max_requests; limit > 0) {
    counts_active_ = true;
    if (cluster_.counters->active_requests.fetch_add(1, std::memory_order_relaxed) >= limit) {
      co_return co_await overflow("the cluster has too many requests in flight");
    }
  }
  const std::optional<std::size_t> first = pick_endpoint(false);
  if (!first) {
    co_return co_await fail(
        {core::ErrorKind::kNoHealthyUpstream, "no upstream server is available"});
  }
  endpoint_index_ = *first;

  bool fresh = false;
  for (;;) {
    track_start(endpoint_index_);
    const auto exchanged = co_await attempt(fresh, expect_continue && !body_started_);
    fresh = false;
    if (exchanged) {
      const std::uint16_t status = stream_.response.status;
      note_outcome(upstream::outcome_of_status(status));
      if (!upstream::retries_status(retry_policy_, status) || !may_retry(nullptr)) break;
      release_connection(false);  // its response body is not wanted
      BULWARK_LOG_DEBUG("upstream {}: status {}, retrying", stream_.upstream_label, status);
    } else {
      const core::Error& error = exchanged.error();
      release_connection(false);
      if (client_.gone()) {
        co_return co_await fail(
            {core::ErrorKind::kDownstreamClosed, "the client cancelled the stream"});
      }
      if (error.kind == core::ErrorKind::kUpstreamOverflow)
        co_return co_await overflow(error.detail);
      if (error.fault() != core::Fault::kUpstream) co_return co_await fail(error);
      // A pooled connection the backend had closed: not the endpoint's fault, and safe to send
      // again at once when nothing can have taken effect.
      if (error.retry_safe && !stale_retried_ && http::is_idempotent(request.method) &&
          request.framing == http::BodyFraming::kNone) {
        stale_retried_ = true;
        fresh = true;
        track_end(false);
        continue;
      }
      note_outcome(upstream::AttemptOutcome::kGatewayError);
      if (!may_retry(&error)) co_return co_await fail(error);
      BULWARK_LOG_DEBUG("upstream {}: {}, retrying", stream_.upstream_label, error.detail);
    }
    track_end(false);
    if (!co_await prepare_retry()) {
      co_return co_await fail(
          {core::ErrorKind::kNoHealthyUpstream, "no upstream server is available"});
    }
  }
  answered_ = true;
  stream_.upstream_time = core::Clock::now() - started_;
  if (stream_.response.status == 101) co_return co_await switch_protocols();
  co_return co_await relay_response();
}

core::Task<core::Result<void>> UpstreamLeg::attempt(bool fresh, bool expect_continue) {
  sent_ = false;
  if (may_multiplex_) {
    auto shared = co_await acquire_h2(fresh);
    if (!shared) co_return std::unexpected(shared.error());
    if (*shared != nullptr) co_return co_await exchange_h2(**shared, expect_continue);
    // protocol auto, and HTTP/1.1 it is on this connection.
  } else if (fresh || !take_idle()) {
    if (auto acquired = co_await acquire(fresh); !acquired) co_return acquired;
  }
  auto exchanged = co_await send_request(expect_continue, client_.deadline());
  if (exchanged) exchanged = co_await read_response_head();
  co_return exchanged;
}

bool UpstreamLeg::may_retry(const core::Error* error) {
  if (retries_ >= retry_policy_.retries) return false;
  const http::RequestHead& request = stream_.request;
  const bool body_kept = kept_ && !kept_->overflowed && request_body_done_;
  if (error != nullptr && (!sent_ || error->kind == core::ErrorKind::kUpstreamRefused)) {
    // Nothing reached the endpoint, or it refused the request unprocessed: any method may go
    // elsewhere (with the body it sent, when it sent one).
    if (!retry_policy_.on_connect_failure || (body_started_ && !body_kept)) return false;
  } else {
    if ((body_started_ && !body_kept) || !upstream::may_resend(retry_policy_, request)) {
      return false;
    }
    if (error != nullptr) {
      const bool timed_out = error->kind == core::ErrorKind::kUpstreamTimeout;
      if (timed_out ? !retry_policy_.on_timeout
                    : !retry_policy_.on_reset || error->kind != core::ErrorKind::kUpstreamReset) {
        return false;
      }
    }
  }
  upstream::EndpointPicker* chooser = picker();
  if (chooser != nullptr && !chooser->retry_budget().try_withdraw(core::Clock::now())) {
    BULWARK_LOG_DEBUG("cluster {}: retry budget spent", cluster_.name);
    return false;
  }
  if (const std::uint32_t limit = spec_.circuit_breaker.max_retries; limit > 0 && !counts_retry_) {
    upstream::ClusterCounters& counters = *cluster_.counters;
    if (counters.active_retries.fetch_add(1, std::memory_order_relaxed) >= limit) {
      counters.active_retries.fetch_sub(1, std::memory_order_relaxed);
      counters.overflows.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    counts_retry_ = true;
  }
  ++retries_;
  return true;
}

core::Task<bool> UpstreamLeg::prepare_retry() {
  upstream::EndpointPicker* chooser = picker();
  if (chooser != nullptr) {
    const core::Clock::duration wait =
        upstream::backoff_delay(retry_policy_, retries_, chooser->random());
    if (wait > core::Clock::duration::zero()) {
      core::SteadyTimer timer(client_.worker().io);
      timer.expires_after(wait);
      co_await timer.async_wait(kAsTuple);
    }
  }
  const std::optional<std::size_t> next = pick_endpoint(true);
  if (!next) co_return false;
  endpoint_index_ = *next;
  co_return true;
}

core::Task<bool> UpstreamLeg::overflow(std::string_view detail) {
  cluster_.counters->overflows.fetch_add(1, std::memory_order_relaxed);
  // Retry-After is in whole seconds (RFC 9110 §10.2.3), rounded up.
  const auto seconds = (spec_.circuit_breaker.retry_after.count() + 999) / 1000;
  const std::array<http::HeaderField, 1> headers = {
      http::HeaderField{"retry-after", stream_.arena().copy(std::to_string(seconds))}};
  BULWARK_LOG_DEBUG("cluster {}: {}", cluster_.name, detail);
  co_return co_await answer_failure({.status = 503, .detail = detail, .headers = headers});
}

core::Task<bool> UpstreamLeg::answer_failure(const LocalReply& reply) {
  const bool keep_alive = request_body_done_ || stream_.request.framing == http::BodyFraming::kNone;
  // A filter may have a better answer than an error (a cache's stale copy).
  if (stream_.chain.upstream_failure(reply.status, stream_) == Verdict::kRespond) {
    co_return co_await send_local_reply(client_, stream_, *stream_.local_reply, keep_alive);
  }
  co_return co_await send_local_reply(client_, stream_, reply, keep_alive);
}

bool UpstreamLeg::take_idle() {
  const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[endpoint_index_];
  pool_ = &client_.worker().pools.pool_for(endpoint.address, cluster_.pool);
  stream_.upstream_label = endpoint.label;
  connection_ = pool_->take_idle();
  if (!connection_) return false;
  client_.deadline().set_upstream(&connection_->transport.socket());
  return true;
}

core::Task<core::Result<void>> UpstreamLeg::acquire(bool fresh) {
  const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[endpoint_index_];
  pool_ = &client_.worker().pools.pool_for(endpoint.address, cluster_.pool);
  stream_.upstream_label = endpoint.label;
  if (!fresh) {
    // This worker's own idle list was tried already (take_idle).
    connection_ = co_await pool_->steal_from_peers();
    if (connection_) {
      client_.deadline().set_upstream(&connection_->transport.socket());
      co_return core::Result<void>{};
    }
  }
  co_return co_await connect_new(*pool_);
}

core::Task<core::Result<void>> UpstreamLeg::connect_new(upstream::EndpointPool& pool) {
  const config::CircuitBreaker& breaker = spec_.circuit_breaker;
  upstream::ClusterCounters& counters = *cluster_.counters;
  if (breaker.max_connections > 0 &&
      counters.connections.load(std::memory_order_relaxed) >= breaker.max_connections) {
    co_return core::fail(core::ErrorKind::kUpstreamOverflow,
                         "the cluster has too many open connections");
  }
  // Pending: waiting for a new connection to be established.
  struct PendingCount {
    std::atomic<std::uint32_t>* gauge;
    ~PendingCount() {
      if (gauge != nullptr) gauge->fetch_sub(1, std::memory_order_relaxed);
    }
  } pending{breaker.max_pending_requests > 0 ? &counters.pending : nullptr};
  if (pending.gauge != nullptr &&
      pending.gauge->fetch_add(1, std::memory_order_relaxed) >= breaker.max_pending_requests) {
    co_return core::fail(core::ErrorKind::kUpstreamOverflow,
                         "the cluster has too many requests waiting for a connection");
  }

  connection_ = pool.make_connection();
  ConnectionDeadline& deadline = client_.deadline();
  deadline.set_upstream(&connection_->transport.socket());
  deadline.wait_for(Waiting::kUpstreamConnect, connect_timeout_);
  auto [ec] = co_await connection_->transport.socket().async_connect(pool.endpoint(), kAsTuple);
  deadline.clear();
  if (!ec) {
    asio::error_code ignored;
    connection_->transport.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    if (breaker.max_connections > 0) connection_->count_in(cluster_.counters);
    // Before TLS: the header is the connection's first bytes. A pooled connection keeps it.
    if (spec_.send_proxy_protocol) {
      const ClientPeer& peer = client_.peer();
      // Without a PROXY header of its own, the client connected to the listener's address.
      const asio::ip::tcp::endpoint destination =
          peer.destination.port() != 0 ? peer.destination : client_.listener().endpoint;
      const std::error_code sent =
          co_await send_proxy_header(connection_->transport.socket(), *spec_.send_proxy_protocol,
                                     {peer.address, peer.port}, destination);
      if (sent) {
        release_connection(false);
        co_return core::fail(core::ErrorKind::kUpstreamConnectFailed,
                             "no upstream server could be reached");
      }
    }
    if (cluster_.tls) co_return co_await start_tls();
    co_return core::Result<void>{};
  }
  const bool timed_out = deadline.expired() == Waiting::kUpstreamConnect;
  BULWARK_LOG_WARN("upstream {}: connect failed: {}", stream_.upstream_label,
                   timed_out ? "timed out" : ec.message());
  release_connection(false);
  if (timed_out) {
    co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                         "the upstream server did not accept the connection in time");
  }
  co_return core::fail(core::ErrorKind::kUpstreamConnectFailed,
                       "no upstream server could be reached");
}

core::Task<core::Result<void>> UpstreamLeg::start_tls() {
  const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[endpoint_index_];
  const net::tls::ClientContext& tls = *cluster_.tls;
  net::Transport& transport = connection_->transport;
  net::tls::SslPtr ssl = tls.new_ssl(
      tls.server_name().empty() ? endpoint.server_name : tls.server_name(), endpoint.label);
  if (!ssl) {
    BULWARK_LOG_ERROR("upstream {}: cannot start TLS: {}", stream_.upstream_label,
                      net::tls::take_openssl_errors());
    release_connection(false);
    co_return core::fail(core::ErrorKind::kUpstreamConnectFailed,
                         "the TLS handshake with the upstream server failed");
  }
  transport.start_tls(std::move(ssl));
  ConnectionDeadline& deadline = client_.deadline();
  // The connect timeout covers the handshake too: both are setting up the connection.
  deadline.wait_for(Waiting::kUpstreamConnect, connect_timeout_);
  const std::error_code ec = co_await transport.handshake();
  deadline.clear();
  if (!ec) co_return core::Result<void>{};
  const bool timed_out = deadline.expired() == Waiting::kUpstreamConnect;
  BULWARK_LOG_WARN(
      "upstream {}: TLS handshake failed: {}", stream_.upstream_label,
      timed_out ? "timed out" : net::tls::ClientContext::handshake_failure(transport.ssl(), ec));
  release_connection(false);
  if (timed_out) {
    co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                         "the upstream server did not finish the TLS handshake in time");
  }
  co_return core::fail(core::ErrorKind::kUpstreamConnectFailed,
                       "the TLS handshake with the upstream server failed");
}

core::Task<core::Result<void>> UpstreamLeg::send_request(bool send_continue,
                                                         ConnectionDeadline& deadline) {
  const config::Config& config = *client_.snapshot().config;
  const std::string_view head(head_.writable().data(), head_size_);
  http::RequestHead& request = stream_.request;

  sent_ = true;
  // HTTP/2: the head went out as the stream's HEADERS; only the body goes through the pipe.
  const BodyPort sink =
      h2_ ? BodyPort{.pipe = &*h2_} : BodyPort{.transport = &connection_->transport};
  const std::string_view prefix = h2_ ? std::string_view() : head;
  // A retry of a request whose body went out already sends the copy kept of it.
  const bool resend = body_started_ && kept_.has_value();
  if (request.framing == http::BodyFraming::kNone || stream_.request_body.done() || resend) {
    const std::string_view bytes = resend ? std::string_view(kept_->bytes) : prefix;
    deadline.wait_for(Waiting::kUpstreamWrite, write_timeout_);
    const std::array<asio::const_buffer, 1> pieces{asio::buffer(bytes)};
    auto [ec, written] = co_await sink.write(pieces);
    deadline.clear();
    if (!ec && h2_) ec = h2_->finish_request(http::HeaderMap());
    if (ec) {
      if (deadline.expired() == Waiting::kUpstreamWrite) {
        co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                             "the upstream server did not accept the request in time");
      }
      co_return core::fail(core::ErrorKind::kUpstreamReset, "the upstream connection failed", true);
    }
    request_body_done_ = true;
    client_.set_unread_input(false);
    co_return core::Result<void>{};
  }

  if (send_continue && !co_await client_.send_continue()) {
    co_return core::fail(core::ErrorKind::kDownstreamClosed, "the client went away");
  }
  body_started_ = true;
  // A body small enough is kept (as the filters passed it) when the request may be resent.
  // Over HTTP/2 any request may be refused unprocessed, and then go again.
  if (retry_policy_.retries > 0 && retry_policy_.max_body_bytes > 0 && !pumping_ &&
      (may_multiplex_ || upstream::may_resend(retry_policy_, request))) {
    kept_.emplace().limit = head.size() + retry_policy_.max_body_bytes;
  }
  RequestBodyTap tap(stream_);
  const RequestBodySource source = client_.request_body_source();
  const RelayResult relayed = co_await relay_body({
      .source = source.port,
      .buffer = source.buffer,
      .floor = source.floor,
      .sink = sink,
      .decoder = stream_.request_body,
      .sink_framing = fastcgi_ ? SinkFraming::kFastCgiStdin
                      : !h2_ && request.framing == http::BodyFraming::kChunked
                          ? SinkFraming::kChunked
                          : SinkFraming::kAsIs,
      .prefix = prefix,
      .deadline = deadline,
      .read_wait = Waiting::kRequestBody,
      .read_timeout = config.timeouts.body_read,
      .write_wait = Waiting::kUpstreamWrite,
      .write_timeout = write_timeout_,
      .max_bytes = config.limits.max_body_bytes,
      .tap = &tap,
      .keep = kept_ ? &*kept_ : nullptr,
  });
  switch (relayed.outcome) {
    case RelayOutcome::kDone:
      request_body_done_ = true;
      client_.set_unread_input(false);
      if (h2_ && h2_->finish_request(stream_.request_body.trailers())) {
        co_return core::fail(core::ErrorKind::kUpstreamReset,
                             "the upstream connection failed while sending the request");
      }
      co_return core::Result<void>{};
    case RelayOutcome::kSourceClosed:
      co_return core::fail(core::ErrorKind::kDownstreamClosed,
                           "the client closed before sending the whole body");
    case RelayOutcome::kSourceFailed:
      if (deadline.expired() == Waiting::kRequestBody) {
        co_return core::fail(core::ErrorKind::kRequestTimeout,
                             "the request body did not arrive in time");
      }
      co_return core::fail(core::ErrorKind::kDownstreamClosed, "the client connection failed");
    case RelayOutcome::kSinkFailed:
      if (deadline.expired() == Waiting::kUpstreamWrite) {
        co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                             "the upstream server did not accept the request in time");
      }
      co_return core::fail(core::ErrorKind::kUpstreamReset,
                           "the upstream connection failed while sending the request");
    case RelayOutcome::kMalformed:
      co_return std::unexpected(relayed.error);
    case RelayOutcome::kTooLarge:
      co_return core::fail(core::ErrorKind::kBodyTooLarge,
                           "the request body is larger than allowed");
    case RelayOutcome::kFilterStopped:
      co_return core::fail(core::ErrorKind::kInternal, "a filter stopped the request body");
    case RelayOutcome::kHeadRejected:
      break;  // only responses have heads to reject
  }
  co_return core::fail(core::ErrorKind::kInternal, "unknown relay outcome");
}

core::Task<core::Result<void>> UpstreamLeg::read_response_head() {
  ConnectionDeadline& deadline = client_.deadline();
  response_ = client_.worker().buffers.take();
  if (h2_) co_return co_await read_response_head_h2(*h2_);
  if (fastcgi_) {
    co_return co_await fastcgi_->read_response_head(connection_->transport, response_, deadline,
                                                    head_timeout_, stream_.response,
                                                    stream_.request.method == http::Method::kHead);
  }
  response_parser_.reset();
  bool received_any = false;
  const bool head_request = stream_.request.method == http::Method::kHead;
  for (;;) {
    deadline.wait_for(Waiting::kUpstreamRead, head_timeout_);
    auto [ec, received] = co_await connection_->transport.read_some(to_asio(response_.writable()));
    deadline.clear();
    if (ec || received == 0) {
      if (deadline.expired() == Waiting::kUpstreamRead) {
        co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                             "the upstream server did not answer in time");
      }
      co_return core::fail(core::ErrorKind::kUpstreamReset,
                           received_any
                               ? "the upstream server closed the connection mid-response"
                               : "the upstream server closed the connection without answering",
                           !received_any);
    }
    received_any = true;
    response_.commit(received);
    for (;;) {
      auto parsed =
          response_parser_.parse(view(response_.readable()), stream_.response, head_request);
      if (!parsed) {
        co_return core::fail(core::ErrorKind::kUpstreamProtocol,
                             "the upstream server sent an invalid response");
      }
      if (*parsed == 0) break;
      const std::uint16_t status = stream_.response.status;
      if (status >= 200) {
        response_.consume(*parsed);
        co_return core::Result<void>{};
      }
      if (status == 101) {
        if (!stream_.request.upgrade) {
          co_return core::fail(core::ErrorKind::kUpstreamProtocol,
                               "the upstream server switched protocols unasked");
        }
        response_.consume(*parsed);
        co_return core::Result<void>{};
      }
      // 1xx: 100 answers an Expect that bulwark removed; other interim responses (103 Early
      // Hints) go on to clients that understand them.
      if (status != 100 && stream_.request.version_minor == 1 &&
          !co_await client_.send_interim(stream_.response)) {
        co_return core::fail(core::ErrorKind::kDownstreamClosed, "the client went away");
      }
      response_.consume(*parsed);
      stream_.response.headers.clear();
      response_parser_.reset();
    }
    if (response_.writable().empty()) {
      if (response_.offset() == 0) {
        co_return core::fail(core::ErrorKind::kUpstreamProtocol,
                             "the upstream response head is too large");
      }
      response_.compact();
    }
  }
}

core::Task<bool> UpstreamLeg::relay_response() {
  const config::Config& config = *client_.snapshot().config;
  WorkerContext& worker = client_.worker();
  http::ResponseHead& response = stream_.response;
  stream_.upstream_status = response.status;
  stream_.info().upstream_address = stream_.upstream_label;
  // FastCGI bodies end with END_REQUEST, never with the connection.
  const bool upstream_keeps_alive =
      fastcgi_ || (response.keep_alive && response.framing != http::BodyFraming::kUntilClose);
  // An HTTP/2 body without Content-Length ends with the stream (the client side still frames
  // it as chunks for HTTP/1.1).
  response_body_.start(h2_ && response.framing == http::BodyFraming::kChunked
                           ? http::BodyFraming::kUntilClose
                           : response.framing,
                       response.content_length);

  // RFC 9110 §6.6.1: a recipient with a clock adds the Date a backend left out.
  if (!response.headers.has("date")) response.headers.add("date", worker.http_date());
  // A new sticky session, or one that had to move: the cookie names the endpoint that answered.
  if (cluster_.sticky && sticky_bound_ != tracked_endpoint_) {
    response.headers.add("set-cookie", cluster_.sticky->set_cookie(tracked_endpoint_));
  }
  // A configured error page may replace the response before any filter sees it.
  Verdict verdict = intercept_upstream_error(config, response, stream_)
                        ? Verdict::kRespond
                        : stream_.chain.response_headers(
                              response, response.framing == http::BodyFraming::kNone, stream_);
  while (verdict == Verdict::kPause) {
    co_await stream_.wait_for_resume();
    verdict = stream_.local_reply
                  ? Verdict::kRespond
                  : stream_.chain.response_headers(
                        response, response.framing == http::BodyFraming::kNone, stream_);
  }
  if (verdict != Verdict::kContinue) {
    // A response without a body (a 304 a cache answers for) leaves the connection clean.
    release_connection(response.framing == http::BodyFraming::kNone && upstream_keeps_alive &&
                       response_.empty() && !fastcgi_);
    if (verdict != Verdict::kRespond) {
      stream_.respond({.status = 500, .detail = "response buffering is not available"});
    }
    co_return co_await send_local_reply(client_, stream_, *stream_.local_reply, request_body_done_);
  }

  add_listener_headers(client_.listener(), response);

  ResponseBodyTap tap(stream_);
  ResponseRelay relay{
      .head = response,
      .source = h2_ ? BodyPort{.pipe = &*h2_} : BodyPort{.transport = &connection_->transport},
      .buffer = response_,
      .decoder = response_body_,
      .tap = &tap,
      .read_timeout = read_timeout_,
      .request_done = request_body_done_,
      .framed_source = fastcgi_ ? &*fastcgi_ : nullptr,
      .source_trailers = h2_ ? &h2_->trailers() : nullptr,
      .trailers = &stream_.response_trailers()};
  const RelayResult relayed = co_await client_.relay_response(relay);
  stream_.body_bytes_sent = relayed.body_bytes;
  switch (relayed.outcome) {
    case RelayOutcome::kDone:
      // Bytes after the response would be a backend bug; such a connection is not reused.
      // A FastCGI connection only once END_REQUEST was read (a client side that sends no body,
      // HTTP/2 for a HEAD request, leaves STDOUT unread).
      release_connection(upstream_keeps_alive && response_.empty() &&
                         (!fastcgi_ || fastcgi_->done()));
      co_return relay.keep_alive;
    case RelayOutcome::kSinkFailed:
      stream_.failure = "the client went away during the response";
      break;
    case RelayOutcome::kSourceFailed:
      stream_.failure = client_.deadline().expired() == Waiting::kUpstreamRead
                            ? "the upstream server stalled during the response body"
                            : "the upstream connection failed during the response body";
      break;
    case RelayOutcome::kSourceClosed:
      stream_.failure = "the upstream server closed the connection before the body was complete";
      break;
    case RelayOutcome::kMalformed:
      stream_.failure = "the upstream server sent an invalid response body";
      break;
    case RelayOutcome::kTooLarge:
    case RelayOutcome::kFilterStopped:
      stream_.failure = "the response body was stopped";
      break;
    case RelayOutcome::kHeadRejected:
      release_connection(false);
      co_return co_await fail(
          {core::ErrorKind::kUpstreamProtocol, "the upstream response head is too large"});
  }
  // The head is out: the only way left to say the response is incomplete is to close.
  release_connection(false);
  co_return false;
}

core::Task<bool> UpstreamLeg::fail(const core::Error& error) {
  if (error.kind == core::ErrorKind::kDownstreamClosed) {
    stream_.failure = error.detail;
    co_return false;
  }
  if (error.fault() == core::Fault::kUpstream) {
    BULWARK_LOG_WARN("upstream {}: {} ({})", stream_.upstream_label, error.detail, error.name());
  }
  co_return co_await answer_failure(
      {.status = static_cast<std::uint16_t>(error.http_status()), .detail = error.detail});
}

void UpstreamLeg::release_connection(bool reusable) {
  client_.deadline().set_upstream(nullptr);
  // A stream the backend has not ended is reset; the connection stays shared. The request pump
  // may still use the stream: then it is only abandoned, and goes once the pump has ended.
  if (pumping_ && h2_) {
    h2_->abandon();
  } else {
    h2_.reset();
  }
  if (!connection_) return;
  if (reusable && pool_ != nullptr) {
    ++connection_->requests;
    pool_->put_idle(std::move(connection_));
  }
  connection_.reset();
}

}  // namespace bulwark::proxy
