#pragma once
// One client connection speaking HTTP/1.1: reads request heads, runs each stream through the
// filters and the router, hands proxied streams to an UpstreamLeg, writes local replies, and
// keeps the connection alive between requests. Requests on one connection are handled one at a
// time, so pipelined requests are answered in order by construction.
//
// Memory: an idle connection holds no pooled buffer. Its next read goes into a small buffer
// inside the connection; a pooled buffer is taken only once bytes arrive (DESIGN.md §2). Every
// read goes through Asio's reactor (async_read_some), which tracks readiness edges itself: a read
// is tried at once only when the socket became readable since the last short read, so no read
// returns EAGAIN in the steady state, and bytes that arrive while the connection is busy
// upstream are not missed.

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "core/buffer.h"
#include "http/h1/body_decoder.h"
#include "http/h1/request_parser.h"
#include "proxy/connection_deadline.h"
#include "proxy/filter/context.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream.h"

namespace bulwark::proxy {

class WorkerContext;

class DownstreamConnection {
 public:
  // Small enough to keep idle connections cheap, large enough for most requests without
  // cookies to arrive in one read.
  static constexpr std::size_t kIdleReadBytes = 256;

  DownstreamConnection(WorkerContext& worker, SnapshotPtr snapshot, std::size_t listener,
                       asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer);
  DownstreamConnection(const DownstreamConnection&) = delete;
  DownstreamConnection& operator=(const DownstreamConnection&) = delete;
  ~DownstreamConnection();

  // Serves requests until the connection ends. The coroutine owns the connection object.
  static asio::awaitable<void> serve(std::unique_ptr<DownstreamConnection> self);

  // Graceful shutdown: an idle connection closes now, a busy one after its current response.
  void start_drain() noexcept;

  // What the UpstreamLeg of a stream uses of its connection.
  asio::ip::tcp::socket& socket() noexcept { return socket_; }
  core::Buffer& input() noexcept { return in_; }
  [[nodiscard]] std::size_t body_start() const noexcept { return body_start_; }
  ConnectionDeadline& deadline() noexcept { return deadline_; }
  WorkerContext& worker() noexcept { return worker_; }
  const ProxySnapshot& snapshot() const noexcept { return *snapshot_; }
  http::h1::BodyDecoder& request_body() noexcept { return request_body_; }
  bool& nodelay_done() noexcept { return nodelay_done_; }
  // Writes to the client with the send deadline; false when the client is gone.
  asio::awaitable<bool> write(std::span<const asio::const_buffer> pieces);
  // Sends `reply` in place of an upstream response; returns whether the connection stays open.
  // `extra` are configured headers (a direct response's), which outlive the stream.
  using ExtraHeaders = std::span<const std::pair<std::string, std::string>>;
  asio::awaitable<bool> send_local_reply(Stream& stream, const LocalReply& reply, bool keep_alive,
                                         ExtraHeaders extra = {});
  // Whether the client may still be sending bytes this connection will not read (an unread
  // body). If so, the close lingers so that those bytes do not turn the close into a reset that
  // destroys the reply in flight.
  void set_unread_input(bool unread) noexcept { linger_ = unread; }

 private:
  enum class Next : std::uint8_t { kRequest, kClosed, kRejected };

  asio::awaitable<void> run();
  // Reads until a complete request head is parsed into stream_. kRejected: a local error reply
  // is in stream_->local_reply.
  asio::awaitable<Next> read_request_head();
  asio::awaitable<bool> wait_for_first_bytes();
  // Handles one parsed request; returns whether the connection stays open.
  asio::awaitable<bool> serve_stream(Stream& stream);
  void start_stream();
  void finish_stream();
  void log_stream(const Stream& stream);
  // Closes after an error reply whose request was not read to its end, reading and dropping what
  // the client still sends for a moment, so that the reset does not destroy the reply in flight.
  asio::awaitable<void> linger_close();

  WorkerContext& worker_;
  SnapshotPtr snapshot_;
  const ListenerRuntime& listener_;
  asio::ip::tcp::socket socket_;
  ConnectionDeadline deadline_;
  core::Buffer in_;
  std::size_t body_start_ = 0;
  std::unique_ptr<Stream> stream_;
  http::h1::RequestParser parser_;
  http::h1::BodyDecoder request_body_;
  asio::ip::address client_address_;
  std::uint16_t client_port_ = 0;
  std::uint32_t requests_ = 0;
  bool trusted_ = false;
  bool counted_ = false;  // counted by the per-IP connection limiter
  bool idle_ = false;
  bool nodelay_done_ = false;
  bool linger_ = false;
  std::array<char, 46> client_text_{};  // INET6_ADDRSTRLEN
  std::uint8_t client_text_size_ = 0;
  std::array<char, kIdleReadBytes> idle_read_{};
};

}  // namespace bulwark::proxy
