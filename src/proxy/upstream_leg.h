#pragma once
// The upstream half of one proxied stream, as an HTTP/1.1 client: picks an endpoint, takes a
// pooled connection (this worker's, else another worker's, else a new one), sends the request
// head and streams the body, reads the response head, runs the response filters and streams the
// response back. Around that, the cluster's resilience: circuit breakers refuse what the cluster
// cannot take (503 with Retry-After), each attempt's outcome feeds outlier detection, and a
// failed attempt is retried on another endpoint as the retry policy, the retry budget and the
// retry breaker allow. A request that fails on a reused pooled connection before any response
// byte is sent again once on a fresh connection to the same endpoint when that is safe
// (idempotent, no body): the backend merely closed an idle connection, which is no failure.

#include <asio/awaitable.hpp>

#include "config/config.h"
#include "core/buffer.h"
#include "core/error.h"
#include "core/io.h"
#include "http/h1/body_decoder.h"
#include "http/h1/response_parser.h"
#include "proxy/body_relay.h"
#include "proxy/fastcgi_exchange.h"
#include "proxy/h2_upstream_stream.h"
#include "proxy/stream.h"
#include "proxy/stream_signal.h"
#include "upstream/cluster.h"
#include "upstream/endpoint_picker.h"
#include "upstream/endpoint_pool.h"
#include "upstream/outlier_detector.h"

namespace bulwark::proxy {

class ClientSide;

class UpstreamLeg {
 public:
  // `action` is the route's: its timeouts and retry policy override the cluster's.
  UpstreamLeg(ClientSide& client, Stream& stream, const upstream::Cluster& cluster,
              const config::ProxyAction& action);
  UpstreamLeg(const UpstreamLeg&) = delete;
  UpstreamLeg& operator=(const UpstreamLeg&) = delete;
  ~UpstreamLeg();

  // Proxies the stream; returns whether the client connection stays open.
  core::Task<bool> run();

 private:
  // This cluster's picker on this worker; nullptr when the snapshot was replaced meanwhile.
  [[nodiscard]] upstream::EndpointPicker* picker() const noexcept;
  // The endpoint for the first attempt, or (`retry`) for another one.
  std::optional<std::size_t> pick_endpoint(bool retry);
  // The balancer's load and latency hooks: one start and one end per endpoint tried.
  void track_start(std::size_t endpoint);
  void track_end(bool ok);
  // One attempt on the picked endpoint: a connection, the request, the response head.
  core::Task<core::Result<void>> attempt(bool fresh, bool expect_continue);
  // Takes this worker's idle connection to the picked endpoint, if it has one.
  bool take_idle();
  // Takes another worker's idle connection or opens one; `fresh` always opens one.
  core::Task<core::Result<void>> acquire(bool fresh);
  core::Task<core::Result<void>> connect_new(upstream::EndpointPool& pool);
  // The cluster's TLS handshake on the connection just made; a failure is logged with the reason
  // (verification, timeout) and answered like a connect failure.
  core::Task<core::Result<void>> start_tls();
  // Whether the failed attempt (`error`, or a response with a retryable status when `error` is
  // null) may be tried again, and if so takes a retry from the budget and the breaker.
  bool may_retry(const core::Error* error);
  // Waits out the backoff and picks the next endpoint; false when none is left.
  core::Task<bool> prepare_retry();
  // Feeds the attempt's outcome to outlier detection.
  void note_outcome(upstream::AttemptOutcome outcome);
  // A circuit breaker is full: 503 at once, with Retry-After.
  core::Task<bool> overflow(std::string_view detail);
  // `deadline`: the stream's, or the request pump's own (full duplex).
  core::Task<core::Result<void>> send_request(bool send_continue, ConnectionDeadline& deadline);
  core::Task<core::Result<void>> read_response_head();
  core::Task<bool> relay_response();
  // A request asking for an upgrade (WebSocket): the route's checks, and for an HTTP/2 extended
  // CONNECT the HTTP/1.1 handshake the backend expects (RFC 8441 §5). A refusal to send, or
  // nothing when the request goes on (as an upgrade, or as a plain request).
  std::optional<LocalReply> prepare_upgrade();
  // The backend switched protocols: the client gets 101 (HTTP/1.1) or 200 (HTTP/2), then the
  // bytes flow both ways until either side ends or the WebSocket idle timeout passes.
  core::Task<bool> switch_protocols();
  // HTTP/2 to the backend (upstream_h2.cpp). A connection of this worker to the endpoint with a
  // free stream, else a new one; nullptr when a cluster with `protocol: auto` got HTTP/1.1 by
  // ALPN (or an idle HTTP/1.1 connection), left in connection_.
  core::Task<core::Result<H2UpstreamConnection*>> acquire_h2(bool fresh);
  // The request as a stream on `connection`, up to the response head.
  core::Task<core::Result<void>> exchange_h2(H2UpstreamConnection& connection,
                                             bool expect_continue);
  core::Task<core::Result<void>> read_response_head_h2(H2UpstreamStream& stream);
  // Full duplex (an HTTP/2 client and an HTTP/2 backend, as gRPC's bidirectional calls need):
  // the request body is relayed by a coroutine of its own (the pump) while the leg waits for
  // the response and relays it. The pump has its own deadline; the leg ends only after it.
  void start_request_pump(H2UpstreamStream& stream, StreamPipe& client_body);
  static core::Task<void> pump_request_body(UpstreamLeg& leg, H2UpstreamStream& stream,
                                            StreamPipe& client_body);
  core::Task<void> join_request_pump();
  // The exchange itself (run() adds the pump's join).
  core::Task<bool> exchange();
  // Sends `reply` for a failed upstream, unless a filter answers instead (on_upstream_failure).
  core::Task<bool> answer_failure(const LocalReply& reply);
  // Answers the client for a failure before any response byte was sent to it.
  core::Task<bool> fail(const core::Error& error);
  void release_connection(bool reusable);

  ClientSide& client_;
  Stream& stream_;
  const upstream::Cluster& cluster_;
  const std::size_t cluster_index_;
  const config::Cluster& spec_;
  const config::RetryPolicy& retry_policy_;
  const config::Duration connect_timeout_;
  const config::Duration read_timeout_;
  const config::Duration write_timeout_;
  const config::Duration head_timeout_;  // the per-try timeout, else the read timeout
  const config::WebSocketSettings& websocket_;
  std::string websocket_key_;  // the Sec-WebSocket-Key bulwark made for an extended CONNECT
  std::size_t endpoint_index_ = 0;
  std::optional<std::size_t> sticky_bound_;  // the endpoint the client's sticky cookie names
  std::size_t tracked_endpoint_ = 0;  // the endpoint the balancer counts this request against
  core::Clock::time_point attempt_started_;
  std::uint32_t retries_ = 0;
  bool tracking_ = false;
  bool answered_ = false;      // a response head arrived
  bool sent_ = false;          // this attempt wrote request bytes
  bool body_started_ = false;  // client body bytes went upstream
  // A copy of what was sent, when the request may be resent and its body is small enough.
  std::optional<KeptBytes> kept_;
  bool stale_retried_ = false;  // the dead pooled connection's one fresh retry was taken
  bool counts_active_ = false;  // counted in the cluster's active requests (breaker)
  bool counts_retry_ = false;   // counted in the cluster's active retries (breaker)
  upstream::EndpointPool* pool_ = nullptr;
  upstream::ConnectionPtr connection_;
  core::Buffer head_;  // the serialized request head, kept for a retry
  std::size_t head_size_ = 0;
  core::Buffer response_;  // bytes from the upstream
  http::h1::ResponseParser response_parser_;
  http::h1::BodyDecoder response_body_;
  bool request_body_done_ = false;
  core::Clock::time_point started_;
  std::optional<FastCgiExchange> fastcgi_;  // set when the cluster speaks FastCGI
  const bool may_multiplex_;                // protocol h2, h2c or auto
  std::optional<H2UpstreamStream> h2_;      // this attempt's stream, on HTTP/2
  // The request pump (full duplex): running, how it ended, and its deadline while it runs.
  bool pumping_ = false;
  std::optional<core::Error> pump_failure_;
  ConnectionDeadline* pump_deadline_ = nullptr;
  // Made with the first pump: most requests never have one, and a timer per request costs.
  std::optional<StreamSignal> pump_done_;
};

}  // namespace bulwark::proxy
