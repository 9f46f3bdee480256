#pragma once
// One client connection speaking HTTP/1.1: reads request heads, has each stream handled
// (StreamHandler), writes responses as HTTP/1.1 frames them, and keeps the connection alive
// between requests. Requests on one connection are handled one at a time, so pipelined requests
// are answered in order by construction; the connection is its streams' ClientSide.
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
#include "proxy/client_side.h"
#include "proxy/connection_deadline.h"
#include "proxy/filter/context.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream.h"

namespace bulwark::proxy {

class WorkerContext;

class DownstreamConnection final : public ClientSide {
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

  // What an HTTP/2 connection (H2Connection) takes over after the protocol was chosen.
  [[nodiscard]] net::Transport& transport() noexcept { return transport_; }
  core::Buffer take_input() noexcept {
    body_start_ = 0;
    return std::move(in_);
  }
  // Closes when the client may still be sending (an unread request body, HTTP/2 frames in
  // flight): reads and drops what arrives for a moment, so that a reset does not destroy the
  // last response on its way.
  core::Task<void> linger_close();

  // Moves the connection to the worker's newest snapshot between requests (HTTP/2: before each
  // new stream), so that a reload reaches long-lived clients too. A connection whose listener the
  // reload removed stays on the snapshot it has, and closes.
  void adopt_current_snapshot();
  [[nodiscard]] const SnapshotPtr& snapshot_ptr() const noexcept { return snapshot_; }

  // ClientSide
  [[nodiscard]] ConnectionDeadline& deadline() noexcept override { return deadline_; }
  [[nodiscard]] const ProxySnapshot& snapshot() const noexcept override { return *snapshot_; }
  [[nodiscard]] const ListenerRuntime& listener() const noexcept override { return *listener_; }
  [[nodiscard]] const ClientPeer& peer() const noexcept override { return peer_; }
  [[nodiscard]] bool secure() const noexcept override { return transport_.secure(); }
  [[nodiscard]] bool multiplexed() const noexcept override { return false; }
  [[nodiscard]] bool closing() const noexcept override;
  [[nodiscard]] bool gone() const noexcept override { return false; }
  void start_request_body(Stream& stream) override;
  [[nodiscard]] RequestBodySource request_body_source() override;
  void set_unread_input(bool unread) noexcept override { linger_ = unread; }
  core::Task<bool> send_continue() override;
  bool begin_response(http::ResponseHead& head) override;
  core::Task<bool> send_body(std::span<const asio::const_buffer> body, bool end_stream) override;
  core::Task<net::SendFileResult> send_file(std::span<const asio::const_buffer> prefix, int fd,
                                            std::uint64_t offset, std::uint64_t length) override;
  core::Task<bool> send_interim(http::ResponseHead& head) override;
  core::Task<RelayResult> relay_response(ResponseRelay& relay) override;

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
  // Whether the bytes in `in_` start an HTTP/2 connection preface on a listener that takes h2c
  // with prior knowledge.
  [[nodiscard]] bool starts_h2c() const noexcept;
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
  // Writes to the client with the send deadline; false when the client is gone.
  core::Task<bool> write(std::span<const asio::const_buffer> pieces);
  void start_stream();
  void finish_stream();

  SnapshotPtr snapshot_;
  const ListenerRuntime* listener_;
  net::Transport transport_;
  ConnectionDeadline deadline_;
  core::Buffer in_;
  std::size_t body_start_ = 0;
  // The serialized head of the response under way, written with its first body bytes.
  core::Buffer head_out_;
  std::size_t head_out_size_ = 0;
  std::unique_ptr<Stream> stream_;
  // The verified client certificate's identity (mTLS listeners only).
  std::unique_ptr<net::tls::ClientIdentity> client_identity_;
  ClientPeer peer_;
  std::uint32_t requests_ = 0;
  bool counted_ = false;  // counted by the per-IP connection limiter
  bool nodelay_done_ = false;
  bool linger_ = false;
  bool listener_removed_ = false;
  std::array<char, kIdleReadBytes> idle_read_{};
};

}  // namespace bulwark::proxy
