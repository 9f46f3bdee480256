#include "proxy/upstream_leg.h"

#include <array>
#include <asio/connect.hpp>
#include <asio/write.hpp>

#include "core/io.h"
#include "core/log.h"
#include "http/h1/serializer.h"
#include "proxy/body_relay.h"
#include "proxy/downstream_connection.h"
#include "proxy/error_page.h"
#include "proxy/io.h"
#include "proxy/worker_context.h"
#include "upstream/lb/hash_key.h"

namespace bulwark::proxy {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// The filters of one direction (a FilterChain body hook), as the relay sees them.
template <Verdict (FilterChain::*kHook)(BodyChunk&, bool, Context&)>
class ChainTap final : public BodyTap {
 public:
  explicit ChainTap(Stream& stream) : stream_(stream) {}
  Verdict on_chunk(BodyChunk& chunk, bool end_stream) override {
    return (stream_.chain.*kHook)(chunk, end_stream, stream_);
  }

 private:
  Stream& stream_;
};
using RequestBodyTap = ChainTap<&FilterChain::request_body>;
using ResponseBodyTap = ChainTap<&FilterChain::response_body>;

}  // namespace

UpstreamLeg::UpstreamLeg(DownstreamConnection& client, Stream& stream,
                         const upstream::Cluster& cluster, const config::UpstreamTimeouts& timeouts)
    : client_(client),
      stream_(stream),
      cluster_(cluster),
      connect_timeout_(
          timeouts.connect.value_or(client.snapshot().config->timeouts.upstream_connect)),
      read_timeout_(timeouts.read.value_or(client.snapshot().config->timeouts.upstream_read)),
      write_timeout_(timeouts.write.value_or(client.snapshot().config->timeouts.upstream_write)),
      response_parser_(client.snapshot().parser_limits),
      response_body_(client.snapshot().parser_limits),
      started_(core::Clock::now()) {}

UpstreamLeg::~UpstreamLeg() {
  // The request is outstanding until its response was relayed (or it failed).
  track_end(answered_ ? stream_.upstream_time : core::Clock::now() - started_, answered_);
  client_.deadline().set_upstream(nullptr);
}

upstream::Balancer* UpstreamLeg::balancer() const noexcept {
  return client_.worker().balancer(client_.snapshot(), cluster_index_);
}

std::size_t UpstreamLeg::pick_endpoint() {
  upstream::Balancer* picker = balancer();
  if (picker == nullptr) return client_.worker().stale_pick(cluster_.endpoints.size());
  const config::Cluster& spec = client_.snapshot().config->clusters[cluster_index_];
  upstream::PickContext context{.client_address = stream_.info().client_address_text};
  if (spec.hash_key) {
    context.hash_key =
        upstream::extract_hash_key(*spec.hash_key, stream_.request, context.client_address);
  }
  return picker->pick(context);
}

void UpstreamLeg::track_start(std::size_t endpoint) {
  tracked_endpoint_ = endpoint;
  tracking_ = true;
  if (upstream::Balancer* picker = balancer()) picker->on_request_start(endpoint);
}

void UpstreamLeg::track_end(core::Clock::duration latency, bool ok) {
  if (!tracking_) return;
  tracking_ = false;
  // After a reload the balancer that saw the start is gone: nothing to tell the new one.
  if (upstream::Balancer* picker = balancer()) {
    picker->on_request_end(tracked_endpoint_,
                           std::chrono::duration_cast<std::chrono::nanoseconds>(latency), ok);
  }
}

core::Task<bool> UpstreamLeg::run() {
  http::RequestHead& request = stream_.request;
  // bulwark answers Expect: 100-continue itself, right before it reads the body.
  const bool expect_continue = request.expect_continue;
  if (expect_continue) request.headers.remove("expect");
  // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host.
  if (request.target_form == http::TargetForm::kAbsolute)
    request.headers.set("host", request.authority);

  // Upgrades arrive with the protocols work; until then the request goes on as a plain one (the
  // forwarding filter removed its Upgrade field).
  request.upgrade = false;
  // The upstream connection's persistence is bulwark's business, not the client's: a client's
  // "Connection: close" must not cost a pooled connection.
  const bool client_keep_alive = request.keep_alive;
  request.keep_alive = true;
  head_ = client_.worker().buffers.take();
  head_size_ = http::h1::write_request_head(request, head_.writable());
  request.keep_alive = client_keep_alive;
  if (head_size_ == 0) {
    co_return co_await fail(
        {core::ErrorKind::kHeadersTooLarge, "the request head is too large to forward"});
  }
  const std::size_t endpoints = cluster_.endpoints.size();
  if (endpoints == 0) {
    co_return co_await fail({core::ErrorKind::kNoHealthyUpstream, "the cluster has no endpoints"});
  }
  cluster_index_ = static_cast<std::size_t>(&cluster_ - client_.snapshot().clusters.data());
  endpoint_index_ = pick_endpoint();
  track_start(endpoint_index_);

  for (int attempt = 0;; ++attempt) {
    // The common case, a connection this worker holds idle, needs no coroutine.
    if (attempt > 0 || !take_idle()) {
      if (auto acquired = co_await acquire(attempt > 0); !acquired) {
        co_return co_await fail(acquired.error());
      }
    }
    const bool reused = connection_->requests > 0;
    auto exchanged = co_await send_request(expect_continue && attempt == 0);
    if (exchanged) exchanged = co_await read_response_head();
    if (exchanged) break;
    release_connection(false);
    const bool retry = attempt == 0 && reused && exchanged.error().retry_safe &&
                       http::is_idempotent(request.method) &&
                       request.framing == http::BodyFraming::kNone;
    if (!retry) co_return co_await fail(exchanged.error());
  }
  answered_ = true;
  stream_.upstream_time = core::Clock::now() - started_;
  co_return co_await relay_response();
}

bool UpstreamLeg::take_idle() {
  const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[endpoint_index_];
  pool_ = &client_.worker().pools.pool_for(endpoint.address, cluster_.pool);
  stream_.upstream_label = endpoint.label;
  connection_ = pool_->take_idle();
  if (!connection_) return false;
  client_.deadline().set_upstream(&connection_->socket);
  return true;
}

core::Task<core::Result<void>> UpstreamLeg::acquire(bool fresh) {
  WorkerContext& worker = client_.worker();
  const std::size_t endpoints = cluster_.endpoints.size();
  // A refused connection moves on to the next endpoint (nothing was sent, so it is safe).
  const std::size_t tries = fresh ? 1 : endpoints;
  core::Result<void> last = core::fail(core::ErrorKind::kUpstreamConnectFailed, "");
  for (std::size_t i = 0; i < tries; ++i) {
    const std::size_t index = (endpoint_index_ + i) % endpoints;
    if (index != tracked_endpoint_) {
      // The previous endpoint refused (or broke the connection this retry replaces): it failed
      // this request, and the next one takes it over.
      track_end(core::Clock::now() - started_, false);
      track_start(index);
    }
    const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[index];
    pool_ = &worker.pools.pool_for(endpoint.address, cluster_.pool);
    stream_.upstream_label = endpoint.label;
    if (!fresh) {
      // The first endpoint's own idle list was tried already (take_idle).
      if (i > 0) connection_ = pool_->take_idle();
      if (!connection_) connection_ = co_await pool_->steal_from_peers();
      if (connection_) {
        client_.deadline().set_upstream(&connection_->socket);
        co_return core::Result<void>{};
      }
    }
    last = co_await connect_new(*pool_);
    if (last || last.error().kind == core::ErrorKind::kUpstreamTimeout) co_return last;
  }
  co_return last;
}

core::Task<core::Result<void>> UpstreamLeg::connect_new(upstream::EndpointPool& pool) {
  connection_ = pool.make_connection();
  ConnectionDeadline& deadline = client_.deadline();
  deadline.set_upstream(&connection_->socket);
  deadline.wait_for(Waiting::kUpstreamConnect, connect_timeout_);
  auto [ec] = co_await connection_->socket.async_connect(pool.endpoint(), kAsTuple);
  deadline.clear();
  if (!ec) {
    asio::error_code ignored;
    connection_->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
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

core::Task<core::Result<void>> UpstreamLeg::send_request(bool send_continue) {
  const config::Config& config = *client_.snapshot().config;
  ConnectionDeadline& deadline = client_.deadline();
  const std::string_view head(head_.writable().data(), head_size_);
  http::RequestHead& request = stream_.request;

  if (request.framing == http::BodyFraming::kNone || client_.request_body().done()) {
    deadline.wait_for(Waiting::kUpstreamWrite, write_timeout_);
    auto [ec, written] =
        co_await asio::async_write(connection_->socket, asio::buffer(head), kAsTuple);
    deadline.clear();
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

  if (send_continue && client_.input().empty()) {
    const std::array<asio::const_buffer, 1> interim = {asio::buffer(kContinue)};
    if (!co_await client_.write(interim)) {
      co_return core::fail(core::ErrorKind::kDownstreamClosed, "the client went away");
    }
  }
  RequestBodyTap tap(stream_);
  const RelayResult relayed = co_await relay_body({
      .source = client_.socket(),
      .buffer = client_.input(),
      .floor = client_.body_start(),
      .sink = connection_->socket,
      .decoder = client_.request_body(),
      .sink_chunked = request.framing == http::BodyFraming::kChunked,
      .prefix = head,
      .deadline = deadline,
      .read_wait = Waiting::kRequestBody,
      .read_timeout = config.timeouts.body_read,
      .write_wait = Waiting::kUpstreamWrite,
      .write_timeout = write_timeout_,
      .max_bytes = config.limits.max_body_bytes,
      .tap = &tap,
  });
  switch (relayed.outcome) {
    case RelayOutcome::kDone:
      request_body_done_ = true;
      client_.set_unread_input(false);
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
  }
  co_return core::fail(core::ErrorKind::kInternal, "unknown relay outcome");
}

core::Task<core::Result<void>> UpstreamLeg::read_response_head() {
  ConnectionDeadline& deadline = client_.deadline();
  response_ = client_.worker().buffers.take();
  response_parser_.reset();
  bool received_any = false;
  const bool head_request = stream_.request.method == http::Method::kHead;
  for (;;) {
    deadline.wait_for(Waiting::kUpstreamRead, read_timeout_);
    auto [ec, received] =
        co_await connection_->socket.async_read_some(to_asio(response_.writable()), kAsTuple);
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
        co_return core::fail(core::ErrorKind::kUpstreamProtocol,
                             "the upstream server switched protocols unasked");
      }
      // 1xx: 100 answers an Expect that bulwark removed; other interim responses (103 Early
      // Hints) go on to clients that understand them.
      if (status != 100 && stream_.request.version_minor == 1 &&
          !co_await forward_informational()) {
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

core::Task<bool> UpstreamLeg::forward_informational() {
  http::ResponseHead& interim = stream_.response;
  interim.framing = http::BodyFraming::kNone;
  interim.keep_alive = true;
  core::Buffer out = client_.worker().buffers.take();
  const std::size_t size = http::h1::write_response_head(interim, out.writable());
  if (size == 0) co_return true;  // too large to pass on; interim responses are optional
  const std::array<asio::const_buffer, 1> pieces = {
      asio::const_buffer(out.writable().data(), size)};
  co_return co_await client_.write(pieces);
}

core::Task<bool> UpstreamLeg::relay_response() {
  const config::Config& config = *client_.snapshot().config;
  WorkerContext& worker = client_.worker();
  http::ResponseHead& response = stream_.response;
  const http::RequestHead& request = stream_.request;
  stream_.upstream_status = response.status;
  stream_.info().upstream_address = stream_.upstream_label;
  const bool upstream_keeps_alive =
      response.keep_alive && response.framing != http::BodyFraming::kUntilClose;
  response_body_.start(response.framing, response.content_length);

  // RFC 9110 §6.6.1: a recipient with a clock adds the Date a backend left out.
  if (!response.headers.has("date")) response.headers.add("date", worker.http_date());
  // A configured error page may replace the response before any filter sees it.
  Verdict verdict = intercept_upstream_error(config, response, stream_)
                        ? Verdict::kRespond
                        : stream_.chain.response_headers(
                              response, response.framing == http::BodyFraming::kNone, stream_);
  while (verdict == Verdict::kPause) {
    co_await stream_.wait_for_resume();
    verdict = stream_.chain.response_headers(response, response.framing == http::BodyFraming::kNone,
                                             stream_);
  }
  if (verdict != Verdict::kContinue) {
    release_connection(false);  // its response body is unread
    if (verdict != Verdict::kRespond) {
      stream_.respond({.status = 500, .detail = "response buffering is not available"});
    }
    co_return co_await client_.send_local_reply(stream_, *stream_.local_reply, request_body_done_);
  }

  // The client's framing: HTTP/1.0 clients cannot take chunks, so an unknown length ends with
  // the close; HTTP/1.1 clients get chunks and keep the connection.
  bool keep_alive = request.keep_alive && request_body_done_ && !client_.closing();
  bool sink_chunked = false;
  if (response.framing == http::BodyFraming::kChunked ||
      response.framing == http::BodyFraming::kUntilClose) {
    if (request.version_minor == 0) {
      response.framing = http::BodyFraming::kUntilClose;
      keep_alive = false;
    } else {
      response.framing = http::BodyFraming::kChunked;
      sink_chunked = true;
    }
  }
  response.keep_alive = keep_alive;
  response.version_minor = request.version_minor;

  core::Buffer out = worker.buffers.take();
  const std::size_t head_size = http::h1::write_response_head(response, out.writable());
  if (head_size == 0) {
    release_connection(false);
    co_return co_await fail(
        {core::ErrorKind::kUpstreamProtocol, "the upstream response head is too large"});
  }
  ResponseBodyTap tap(stream_);
  const RelayResult relayed = co_await relay_body({
      .source = connection_->socket,
      .buffer = response_,
      .floor = response_.offset(),
      .sink = client_.socket(),
      .decoder = response_body_,
      .sink_chunked = sink_chunked,
      .prefix = std::string_view(out.writable().data(), head_size),
      .deadline = client_.deadline(),
      .read_wait = Waiting::kUpstreamRead,
      .read_timeout = read_timeout_,
      .write_wait = Waiting::kClientWrite,
      .write_timeout = config.timeouts.send,
      .tap = &tap,
      .nodelay_done = &client_.nodelay_done(),
  });
  stream_.body_bytes_sent = relayed.body_bytes;
  switch (relayed.outcome) {
    case RelayOutcome::kDone:
      // Bytes after the response would be a backend bug; such a connection is not reused.
      release_connection(upstream_keeps_alive && response_.empty());
      co_return keep_alive;
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
  co_return co_await client_.send_local_reply(
      stream_, {.status = static_cast<std::uint16_t>(error.http_status()), .detail = error.detail},
      request_body_done_ || stream_.request.framing == http::BodyFraming::kNone);
}

void UpstreamLeg::release_connection(bool reusable) {
  client_.deadline().set_upstream(nullptr);
  if (!connection_) return;
  if (reusable && pool_ != nullptr) {
    ++connection_->requests;
    pool_->put_idle(std::move(connection_));
  }
  connection_.reset();
}

}  // namespace bulwark::proxy
