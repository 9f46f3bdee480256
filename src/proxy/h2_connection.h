#pragma once
// One client connection speaking HTTP/2 (RFC 9113): reached by ALPN "h2" on TLS listeners, or by
// the connection preface on plain listeners that allow h2c with prior knowledge. The codec
// (http::h2::ServerSession) turns bytes into requests; each request becomes a Stream, handled
// by its own coroutine through the same StreamHandler as HTTP/1.1, with an H2StreamSide as its
// ClientSide. One reader coroutine feeds the codec; one writer coroutine at a time sends what it
// has queued, so the frames of all streams leave in few writes.
//
// Lifetime: the connection is deleted when its reader has ended and no stream coroutine or
// write is left (refs_).

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "core/buffer.h"
#include "core/io.h"
#include "http/h2/server_session.h"
#include "proxy/downstream_connection.h"

namespace bulwark::proxy {

class H2StreamSide;

class H2Connection final : public http::h2::ServerHandler {
 public:
  // Takes over `h1`, whose handshake (TLS) is done and whose input may hold the first bytes.
  static core::Task<void> serve(std::unique_ptr<DownstreamConnection> h1);

  explicit H2Connection(std::unique_ptr<DownstreamConnection> h1);
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;
  ~H2Connection() override;

  // What the connection's streams share.
  [[nodiscard]] DownstreamConnection& base() const noexcept { return *h1_; }
  [[nodiscard]] http::h2::ServerSession& session() noexcept { return session_; }
  [[nodiscard]] bool closing() const noexcept { return h1_->closing(); }
  // Sends what the codec has queued (starts the writer unless it is running).
  void flush();
  // A stream's coroutine ended (its response is queued or it failed).
  void stream_done(H2StreamSide& stream);

  // http::h2::ServerHandler
  core::Arena& stream_arena(std::int32_t stream_id) override;
  void on_request(std::int32_t stream_id, http::RequestHead&& head, bool end_stream) override;
  void on_request_data(std::int32_t stream_id, std::span<const char> data,
                       bool end_stream) override;
  void on_request_trailers(std::int32_t stream_id, http::HeaderMap&& trailers) override;
  void on_stream_reset(std::int32_t stream_id, std::uint32_t error_code) override;
  void on_stream_closed(std::int32_t stream_id) override;
  void on_window_open(std::int32_t stream_id) override;

 private:
  core::Task<void> read_loop();
  core::Task<void> write_loop();
  static core::Task<void> run_stream(H2Connection& connection, H2StreamSide& stream);
  H2StreamSide* find(std::int32_t stream_id) const noexcept;
  // Drops the stream once both its coroutine and the codec are done with it.
  void maybe_erase(H2StreamSide& stream);
  void release();
  // Waits (with the connection's deadline) until the reader should look again: bytes arrived,
  // the idle time passed, or the worker drains.
  [[nodiscard]] bool idle() const noexcept { return streams_.empty(); }

  std::unique_ptr<DownstreamConnection> h1_;
  http::h2::ServerSession session_;
  std::unordered_map<std::int32_t, std::unique_ptr<H2StreamSide>> streams_;
  core::Buffer in_;
  // The writer's own deadline: the reader's wait and a write are pending at the same time.
  ConnectionDeadline write_deadline_;
  std::uint32_t refs_ = 1;  // the reader, each stream coroutine, the writer
  bool writing_ = false;
  bool feeding_ = false;      // inside session_.feed(): its callbacks run
  bool closed_ = false;       // the socket failed or the session ended
  bool peer_closed_ = false;  // the client closed its side
  bool goaway_sent_ = false;
};

}  // namespace bulwark::proxy
