#pragma once
// The upstream half of one proxied stream, as an HTTP/1.1 client: picks an endpoint, takes a
// pooled connection (this worker's, else another worker's, else a new one), sends the request
// head and streams the body, reads the response head, runs the response filters and streams the
// response back. A request that fails on a reused connection before any response byte arrived is
// retried once on a fresh connection when that is safe (idempotent, no body).

#include <asio/awaitable.hpp>

#include "config/config.h"
#include "core/buffer.h"
#include "core/error.h"
#include "core/io.h"
#include "http/h1/body_decoder.h"
#include "http/h1/response_parser.h"
#include "proxy/stream.h"
#include "upstream/cluster.h"
#include "upstream/endpoint_pool.h"
#include "upstream/lb/balancer.h"

namespace bulwark::proxy {

class DownstreamConnection;

class UpstreamLeg {
 public:
  // `timeouts` are the route's overrides of the configured upstream timeouts.
  UpstreamLeg(DownstreamConnection& client, Stream& stream, const upstream::Cluster& cluster,
              const config::UpstreamTimeouts& timeouts);
  UpstreamLeg(const UpstreamLeg&) = delete;
  UpstreamLeg& operator=(const UpstreamLeg&) = delete;
  ~UpstreamLeg();

  // Proxies the stream; returns whether the client connection stays open.
  core::Task<bool> run();

 private:
  // This cluster's balancer on this worker; nullptr when the snapshot was replaced meanwhile.
  [[nodiscard]] upstream::Balancer* balancer() const noexcept;
  std::size_t pick_endpoint();
  // The balancer's load and latency hooks: one start and one end per endpoint tried.
  void track_start(std::size_t endpoint);
  void track_end(core::Clock::duration latency, bool ok);
  // Takes this worker's idle connection to the picked endpoint, if it has one.
  bool take_idle();
  // Takes another worker's idle connection or opens one (failing over to the next endpoints on
  // a refused connect); `fresh` opens a new one to the picked endpoint.
  core::Task<core::Result<void>> acquire(bool fresh);
  core::Task<core::Result<void>> connect_new(upstream::EndpointPool& pool);
  core::Task<core::Result<void>> send_request(bool send_continue);
  core::Task<core::Result<void>> read_response_head();
  core::Task<bool> forward_informational();
  core::Task<bool> relay_response();
  // Answers the client for a failure before any response byte was sent to it.
  core::Task<bool> fail(const core::Error& error);
  void release_connection(bool reusable);

  DownstreamConnection& client_;
  Stream& stream_;
  const upstream::Cluster& cluster_;
  const config::Duration connect_timeout_;
  const config::Duration read_timeout_;
  const config::Duration write_timeout_;
  std::size_t cluster_index_ = 0;
  std::size_t endpoint_index_ = 0;
  std::size_t tracked_endpoint_ = 0;  // the endpoint the balancer counts this request against
  bool tracking_ = false;
  bool answered_ = false;  // a response head arrived
  upstream::EndpointPool* pool_ = nullptr;
  upstream::ConnectionPtr connection_;
  core::Buffer head_;  // the serialized request head, kept for a retry
  std::size_t head_size_ = 0;
  core::Buffer response_;  // bytes from the upstream
  http::h1::ResponseParser response_parser_;
  http::h1::BodyDecoder response_body_;
  bool request_body_done_ = false;
  core::Clock::time_point started_;
};

}  // namespace bulwark::proxy
