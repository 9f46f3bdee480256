#pragma once
// What happens to one request once its head has arrived, whatever protocol brought it: the path
// is normalised, the router picks a route, the route's filters run, and the route's action
// answers: a proxied response (UpstreamLeg), a redirect, a direct response or static files. The
// same code serves HTTP/1.1 connections and HTTP/2 streams through their ClientSide.

#include <span>
#include <string>
#include <utility>

#include "config/config.h"
#include "core/io.h"
#include "proxy/client_side.h"
#include "proxy/filter/context.h"
#include "proxy/stream.h"

namespace bulwark::proxy {

class UpstreamLeg;

// Configured header fields of a direct response, which outlive the stream.
using ExtraHeaders = std::span<const std::pair<std::string, std::string>>;

// Fills the facts of a new stream that come from its connection (client address, scheme,
// listener) and starts its clock.
void start_stream_info(const ClientSide& client, Stream& stream);
// Logs the finished stream, tells its filters and recycles it.
void finish_stream(WorkerContext& worker, std::unique_ptr<Stream> stream);

// Sends `reply` in place of an upstream response; returns whether the connection stays open.
core::Task<bool> send_local_reply(ClientSide& client, Stream& stream, const LocalReply& reply,
                                  bool keep_alive, ExtraHeaders extra = {});
// A complete response a filter supplied (LocalReply::verbatim), its body streamed when it comes
// from a ReplyBody (proxy/verbatim_reply.cpp).
core::Task<bool> send_verbatim_reply(ClientSide& client, Stream& stream, const LocalReply& reply,
                                     bool keep_alive);
// A local error as a gRPC client reads it: HTTP 200 with grpc-status and grpc-message and no
// body (a trailers-only response, proxy/grpc_reply.h).
core::Task<bool> send_grpc_error(ClientSide& client, Stream& stream, const LocalReply& reply,
                                 bool keep_alive);
// What the listener adds to every response head (Strict-Transport-Security).
void add_listener_headers(const ListenerRuntime& listener, http::ResponseHead& response);

class StreamHandler {
 public:
  StreamHandler(ClientSide& client, Stream& stream) noexcept : client_(client), stream_(stream) {}

  // Handles the stream's request; returns whether the connection stays open (HTTP/1.1).
  core::Task<bool> serve();

 private:
  [[nodiscard]] router::RouteHit route() const;
  // Carries out a route's action other than proxying, once the request filters have passed.
  core::Task<bool> reply_locally(const config::Route& route, const RouteRuntime& runtime,
                                 bool keep_if_local);
  // Applies a proxy route's rewrites to the request and makes its UpstreamLeg in the stream's
  // arena (the caller runs it and then its destructor).
  UpstreamLeg* start_upstream_leg(const config::ProxyAction& action,
                                  const config::RouteMatch& match, const RouteRuntime& runtime);
  // Answers from the files of a static: route (proxy/static_response.cpp).
  core::Task<bool> serve_static(const config::StaticAction& action, const config::Route& route,
                                bool keep_alive);
  // Answers a plain-HTTP listener's request with its HTTPS address (301, or 308 for methods that
  // must not turn into GET).
  core::Task<bool> redirect_to_https(std::uint16_t port, bool keep_alive);
  core::Task<bool> reply(const LocalReply& reply, bool keep_alive) {
    return send_local_reply(client_, stream_, reply, keep_alive);
  }

  ClientSide& client_;
  Stream& stream_;
};

// The last touches on the head of a reply bulwark makes itself: the request id, whether the
// connection persists, the Date, the response filters and the listener's headers.
void finish_local_head(ClientSide& client, Stream& stream, bool keep_alive, bool end_stream);

}  // namespace bulwark::proxy
