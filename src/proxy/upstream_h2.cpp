// UpstreamLeg over HTTP/2 (cluster protocol h2, h2c, or auto when ALPN chose h2): each request
// is a stream on a connection its worker shares among many requests (H2UpstreamPool).

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "core/log.h"
#include "net/tls/client_context.h"
#include "proxy/client_side.h"
#include "proxy/h2_upstream_connection.h"
#include "proxy/h2_upstream_pool.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

// What bulwark advertises to backends: windows big enough for a fast transfer on one stream,
// bounded because a stream's unread response waits in memory (its client reads slowly).
constexpr std::uint32_t kStreamWindow = 256U * 1024;
constexpr std::uint32_t kConnectionWindow = 8U * 1024 * 1024;

}  // namespace

core::Task<core::Result<H2UpstreamConnection*>> UpstreamLeg::acquire_h2(bool fresh) {
  const upstream::ClusterEndpoint& endpoint = cluster_.endpoints[endpoint_index_];
  WorkerContext& worker = client_.worker();
  stream_.upstream_label = endpoint.label;
  H2UpstreamPool& shared_pool = worker.h2_upstreams;
  if (!fresh) {
    for (;;) {
      if (H2UpstreamConnection* shared = shared_pool.find(cluster_.name, endpoint.address)) {
        co_return shared;
      }
      const bool waited = co_await shared_pool.wait_for_connecting(cluster_.name, endpoint.address);
      if (!waited) break;
    }
    // protocol auto: an idle HTTP/1.1 connection serves as well as a new one.
    if (spec_.protocol == config::UpstreamProtocol::kAuto && take_idle()) co_return nullptr;
  }
  const H2UpstreamPool::ConnectingGuard connecting = shared_pool.start_connecting(
      cluster_.name, endpoint.address, worker.io.get_executor(), connect_timeout_);
  pool_ = &worker.pools.pool_for(endpoint.address, cluster_.pool);
  if (auto connected = co_await connect_new(*pool_); !connected) {
    co_return std::unexpected(connected.error());
  }
  if (cluster_.tls && !net::tls::ClientContext::negotiated_h2(connection_->transport.ssl())) {
    if (spec_.protocol == config::UpstreamProtocol::kAuto) co_return nullptr;
    BULWARK_LOG_WARN("upstream {}: the backend did not choose h2 by ALPN", stream_.upstream_label);
    release_connection(false);
    co_return core::fail(core::ErrorKind::kUpstreamProtocol,
                         "the upstream server does not speak HTTP/2");
  }
  client_.deadline().set_upstream(nullptr);  // the socket is the shared connection's now
  const http::h1::ParserLimits& limits = client_.snapshot().parser_limits;
  const H2UpstreamConnection::Options options{
      .idle_timeout = cluster_.pool.idle_timeout,
      .write_timeout = write_timeout_,
      .session = {.initial_stream_window = kStreamWindow,
                  .connection_window = kConnectionWindow,
                  .max_header_bytes = limits.max_header_bytes,
                  .max_header_count = limits.max_header_count,
                  .send_low_water = H2UpstreamStream::kSendLowWater}};
  H2UpstreamConnection& shared = shared_pool.add(std::make_unique<H2UpstreamConnection>(
      worker, shared_pool, H2UpstreamKey{cluster_.name, endpoint.address}, std::move(connection_),
      options));
  shared.start();
  co_return &shared;
}

core::Task<core::Result<void>> UpstreamLeg::exchange_h2(H2UpstreamConnection& connection,
                                                        bool expect_continue) {
  const http::RequestHead& request = stream_.request;
  const bool resend = body_started_ && kept_.has_value();
  const bool body_follows =
      resend ? !kept_->bytes.empty()
             : request.framing != http::BodyFraming::kNone && !stream_.request_body.done();
  co_await join_request_pump();  // a failed attempt's pump still holds the old stream
  h2_.emplace(client_.worker().io.get_executor());
  if (auto opened = h2_->open(connection, request, cluster_.tls ? "https" : "http", !body_follows,
                              stream_.arena());
      !opened) {
    co_return std::unexpected(opened.error());
  }
  client_.deadline().set_upstream_stream(&*h2_);
  const RequestBodySource source = client_.request_body_source();
  if (body_follows && !resend && !expect_continue && source.port.pipe != nullptr) {
    // Both sides multiplexed: the response may begin before the request ends (gRPC's
    // bidirectional calls), so the body goes on its own while the leg waits for the response.
    start_request_pump(*h2_, *source.port.pipe);
  } else if (body_follows) {
    if (auto sent = co_await send_request(expect_continue, client_.deadline()); !sent) {
      co_return sent;
    }
  } else {
    sent_ = true;
    request_body_done_ = true;
    client_.set_unread_input(false);
  }
  co_return co_await read_response_head();
}

core::Task<core::Result<void>> UpstreamLeg::read_response_head_h2(H2UpstreamStream& stream) {
  ConnectionDeadline& deadline = client_.deadline();
  http::ResponseHead& response = stream_.response;
  for (;;) {
    deadline.wait_for(Waiting::kUpstreamRead, head_timeout_);
    const H2UpstreamStream::Head got = co_await stream.wait_head(response);
    deadline.clear();
    switch (got) {
      case H2UpstreamStream::Head::kFinal:
        // RFC 9110 §6.4.1: whatever its length says, these have no body.
        if (stream_.request.method == http::Method::kHead || response.status == 204 ||
            response.status == 304) {
          response.framing = http::BodyFraming::kNone;
        }
        co_return core::Result<void>{};
      case H2UpstreamStream::Head::kInterim:
        // As over HTTP/1.1: 100 answers an Expect that bulwark removed; 103 goes on.
        if (response.status != 100 && stream_.request.version_minor == 1 &&
            !co_await client_.send_interim(response)) {
          co_return core::fail(core::ErrorKind::kDownstreamClosed, "the client went away");
        }
        response.headers.clear();
        continue;
      case H2UpstreamStream::Head::kFailed:
        // The request pump failed first (the client, or its deadline): that is the reason.
        if (pump_failure_) co_return std::unexpected(*pump_failure_);
        if (deadline.expired() == Waiting::kUpstreamRead) {
          co_return core::fail(core::ErrorKind::kUpstreamTimeout,
                               "the upstream server did not answer in time");
        }
        co_return std::unexpected(stream.failure());
    }
  }
}

void UpstreamLeg::start_request_pump(H2UpstreamStream& stream, StreamPipe& client_body) {
  pumping_ = true;
  pump_failure_.reset();
  if (!pump_done_) pump_done_.emplace(client_.worker().io.get_executor());
  // Posted: co_spawn would run the pump inline, inside this coroutine.
  asio::post(client_.worker().io, [this, &stream, &client_body] {
    asio::co_spawn(client_.worker().io, pump_request_body(*this, stream, client_body),
                   asio::detached);
  });
}

core::Task<void> UpstreamLeg::pump_request_body(UpstreamLeg& leg, H2UpstreamStream& stream,
                                                StreamPipe& client_body) {
  if (stream.ended()) {  // given up before the pump got to run
    leg.pumping_ = false;
    if (leg.pump_done_) leg.pump_done_->wake();
    co_return;
  }
  ConnectionDeadline deadline(leg.client_.worker().timeouts, client_body);
  deadline.set_upstream_stream(&stream);
  leg.pump_deadline_ = &deadline;
  const core::Result<void> sent = co_await leg.send_request(false, deadline);
  leg.pump_deadline_ = nullptr;
  if (!sent) {
    leg.pump_failure_ = sent.error();
    stream.abandon();  // the response side learns of it from the stream
  }
  leg.pumping_ = false;
  if (leg.pump_done_) leg.pump_done_->wake();
}

core::Task<void> UpstreamLeg::join_request_pump() {
  if (pumping_) {
    // The response is over (or failed): what the client still sends is not wanted.
    if (h2_) h2_->abandon();
    if (pump_deadline_ != nullptr) pump_deadline_->cancel_now();
    while (pumping_ && pump_done_) {
      const std::error_code ignored = co_await pump_done_->wait();
      (void)ignored;
    }
  }
  h2_.reset();
}

}  // namespace bulwark::proxy
