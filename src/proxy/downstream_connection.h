#pragma once
// One client connection speaking HTTP/1.1: reads request heads, runs each stream through the
// filters and the router, hands proxied streams to an UpstreamLeg, writes local replies, and
// keeps the connection alive between requests. Requests on one connection are handled one at a
// time, so pipelined requests are answered in order by construction.
//
// Memory: an idle connection is *parked*: no coroutine, no pooled buffer, just this object and
// one pending read into the small buffer inside it, whose completion handler owns the object. When
// bytes arrive, a coroutine is started that serves requests until the connection is idle again
// (DESIGN.md §2: 10,000 idle connections cost little). Every read goes through Asio's reactor
// (async_read_some), which knows whether the socket became readable while the connection was busy,
// so bytes a client pipelines meanwhile are never missed.

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "core/buffer.h"
#include "core/io.h"
#include "http/h1/body_decoder.h"
#include "net/tls/client_identity.h"
#include "net/tls/transport.h"
#include "proxy/connection_deadline.h"
#include "proxy/filter/context.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream.h"

namespace bulwark::proxy {

class UpstreamLeg;
class WorkerContext;

class DownstreamConnection {
 public:
  // Small enough to keep idle connections cheap, large enough for most requests without
  // cookies to arrive in one read.
  static constexpr std::size_t kIdleReadBytes = 256;

  DownstreamConnection(WorkerContext& worker, SnapshotPtr snapshot, std::size_t listener,
                       core::TcpSocket socket, const asio::ip::tcp::endpoint& peer);
  DownstreamConnection(const DownstreamConnection&) = delete;
  DownstreamConnection& operator=(const DownstreamConnection&) = delete;
  ~DownstreamConnection();

  // Connections live in their worker's slab (core/slab.h), apart from short-lived allocations.
  static void* operator new(std::size_t size);
  static void operator delete(void* block) noexcept;

  // Takes a new connection over; from now on it owns itself until it closes.
  static void start(std::unique_ptr<DownstreamConnection> self);
  // Where the client connected to: a PROXY header's destination, else this socket's address.
  [[nodiscard]] asio::ip::tcp::endpoint destination();

  // What the UpstreamLeg of a stream uses of its connection.
  net::Transport& transport() noexcept { return transport_; }
  core::Buffer& input() noexcept { return in_; }
  [[nodiscard]] std::size_t body_start() const noexcept { return body_start_; }
  ConnectionDeadline& deadline() noexcept { return deadline_; }
  WorkerContext& worker() noexcept { return worker_; }
  const ProxySnapshot& snapshot() const noexcept { return *snapshot_; }
  http::h1::BodyDecoder& request_body() noexcept { return stream_->request_body; }
  bool& nodelay_done() noexcept { return nodelay_done_; }
  // Writes to the client with the send deadline; false when the client is gone.
  core::Task<bool> write(std::span<const asio::const_buffer> pieces);
  // Sends `reply` in place of an upstream response; returns whether the connection stays open.
  // `extra` are configured headers (a direct response's), which outlive the stream.
  using ExtraHeaders = std::span<const std::pair<std::string, std::string>>;
  core::Task<bool> send_local_reply(Stream& stream, const LocalReply& reply, bool keep_alive,
                                    ExtraHeaders extra = {});
  // What the listener adds to every response head (Strict-Transport-Security).
  void add_listener_headers(http::ResponseHead& response) const;
  // Whether the client may still be sending bytes this connection will not read (an unread
  // body). If so, the close lingers so that those bytes do not turn the close into a reset that
  // destroys the reply in flight.
  void set_unread_input(bool unread) noexcept { linger_ = unread; }
  // The connection closes after the current response: the worker drains, or a reload removed
  // the connection's listener.
  [[nodiscard]] bool closing() const noexcept;

 private:
  enum class Next : std::uint8_t { kRequest, kClosed, kRejected };
  struct ParkedRead;

  // Waits for the next request without a coroutine (see the class comment).
  static void park(std::unique_ptr<DownstreamConnection> self);
  // Serves requests from the bytes in `in_` until the connection is idle again or closes.
  static core::Task<void> serve(std::unique_ptr<DownstreamConnection> self);
  // After the PROXY header of a trusted source (or none): the per-IP limit, TLS, requests.
  static void start_serving(std::unique_ptr<DownstreamConnection> self);
  // Reads the PROXY header a trusted source starts with; its client replaces the peer.
  static core::Task<void> start_proxied(std::unique_ptr<DownstreamConnection> self,
                                        config::Duration timeout);
  // Answers 429 when the client has too many connections open.
  static core::Task<void> refuse(std::unique_ptr<DownstreamConnection> self);
  // A TLS listener's connection: the handshake, then the requests (or the refusal).
  static core::Task<void> start_secure(std::unique_ptr<DownstreamConnection> self, bool refused);
  // After the handshake: the client certificate's identity, or that it did not verify.
  void note_handshake();
  // Parses a request head from the bytes in `in_` into a new stream_, reading more only when
  // they are not enough (read_more_head). kRejected: the local error reply is in
  // stream_->local_reply. Most heads arrive whole, so the common case needs no coroutine.
  std::optional<Next> parse_request_head();
  core::Task<Next> read_more_head();
  // Keep-alive, just after a response: waits in the coroutine until the worker's next tick, so a
  // busy connection does not pay a park and a respawn per request. Returns false when the
  // connection is to close; `park` is set when it went quiet and is to be parked.
  core::Task<bool> wait_hot(bool& park);
  // The drain cancelled an idle read: a request whose bytes had already arrived is still served
  // (then the connection closes). Returns the bytes read, 0 when there were none.
  std::size_t read_after_drain();
  // Moves the bytes an idle read received into a pooled buffer: the request starts there.
  void adopt_idle_read(std::size_t received);
  // Handles one parsed request; returns whether the connection stays open.
  core::Task<bool> serve_stream(Stream& stream);
  [[nodiscard]] router::RouteHit route(const http::RequestHead& request) const;
  // Carries out a route's action other than proxying, once the request filters have passed.
  core::Task<bool> reply_locally(Stream& stream, const config::Route& route,
                                 const RouteRuntime& runtime, bool keep_if_local);
  // Applies a proxy route's rewrites to the request and makes its UpstreamLeg in the stream's
  // arena (the caller runs it and then its destructor).
  UpstreamLeg* start_upstream_leg(Stream& stream, const config::ProxyAction& action,
                                  const config::RouteMatch& match, const RouteRuntime& runtime);
  // Answers from the files of a static: route (proxy/static_response.cpp); returns whether the
  // connection stays open.
  core::Task<bool> serve_static(Stream& stream, const config::StaticAction& action,
                                const config::Route& route, bool keep_alive);
  // Answers a plain-HTTP listener's request with its HTTPS address (301, or 308 for methods that
  // must not turn into GET).
  core::Task<bool> redirect_to_https(Stream& stream, std::uint16_t port, bool keep_alive);
  // The last touches on the head of a reply bulwark makes itself: the request id, whether the
  // connection persists, and the response filters.
  void finish_local_head(Stream& stream, bool keep_alive, bool end_stream);
  void start_stream();
  // Moves the connection to the worker's newest snapshot between requests, so that a reload
  // reaches keep-alive clients too. A connection whose listener the reload removed stays on the
  // snapshot it has.
  void adopt_current_snapshot();
  void finish_stream();
  void log_stream(const Stream& stream);
  // Closes after an error reply whose request was not read to its end, reading and dropping what
  // the client still sends for a moment, so that the reset does not destroy the reply in flight.
  core::Task<void> linger_close();

  WorkerContext& worker_;
  SnapshotPtr snapshot_;
  const ListenerRuntime* listener_;
  net::Transport transport_;
  ConnectionDeadline deadline_;
  core::Buffer in_;
  std::size_t body_start_ = 0;
  std::unique_ptr<Stream> stream_;
  // The verified client certificate's identity (mTLS listeners only).
  std::unique_ptr<net::tls::ClientIdentity> client_identity_;
  asio::ip::address client_address_;
  std::uint16_t client_port_ = 0;
  asio::ip::tcp::endpoint destination_;  // from a PROXY header; unset (port 0) otherwise
  std::uint32_t requests_ = 0;
  bool trusted_ = false;
  bool counted_ = false;  // counted by the per-IP connection limiter
  bool nodelay_done_ = false;
  bool linger_ = false;
  bool listener_removed_ = false;
  bool client_certificate_rejected_ = false;  // presented one that did not verify
  std::array<char, kIdleReadBytes> idle_read_{};
};

}  // namespace bulwark::proxy
