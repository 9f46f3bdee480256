#pragma once
// HTTP/2 towards clients (RFC 9113), in memory: bytes in through feed(), bytes out through
// output(), requests and their bodies out through a ServerHandler, responses in through submit_*
// and send_data. No sockets, no event loop: the connection code owns both.
//
// Requests come out as the HTTP/1.1 parser makes them (RequestHead with views), so the rest of
// the proxy does not care which codec a request came through. Defences against abusive clients
// (RFC 9113 §10.5) end the connection with GOAWAY(ENHANCE_YOUR_CALM) and are counted in stats().

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/arena.h"
#include "core/error.h"
#include "http/h2/rate_window.h"
#include "http/h2/session_core.h"
#include "http/message.h"

namespace bulwark::http::h2 {

// Receives a ServerSession's events, from inside feed() (and output() for on_window_open). It
// may call the session's submit functions from any of them.
class ServerHandler {
 public:
  virtual ~ServerHandler() = default;
  // A client opened a stream: the arena its request head, fields and trailers are copied into.
  // It must stay alive until on_stream_closed(stream_id).
  virtual core::Arena& stream_arena(std::int32_t stream_id) = 0;
  // A complete, valid request head; `end_stream`: it has no body.
  virtual void on_request(std::int32_t stream_id, RequestHead&& head, bool end_stream) = 0;
  // Body bytes (valid during the call only); consume() them once forwarded. The last call has
  // `end_stream` (possibly with no bytes), unless the body ends with trailers.
  virtual void on_request_data(std::int32_t stream_id, std::span<const char> data,
                               bool end_stream) = 0;
  // Trailers end the request (views into the stream's arena).
  virtual void on_request_trailers(std::int32_t stream_id, HeaderMap&& trailers) = 0;
  // A stream whose request was delivered ended abnormally (RST_STREAM either way, or a protocol
  // error); on_stream_closed follows.
  virtual void on_stream_reset(std::int32_t stream_id, std::uint32_t error_code) = 0;
  // Every stream stream_arena() was asked for ends with this; its arena may go.
  virtual void on_stream_closed(std::int32_t stream_id) = 0;
  // The stream's queued response body fell below send_low_water: the client's window opened.
  virtual void on_window_open(std::int32_t stream_id) = 0;
};

// What the defences did on one connection, for metrics and tests.
struct ServerStats {
  std::uint64_t requests = 0;           // delivered to on_request
  std::uint64_t malformed_requests = 0;  // streams reset with PROTOCOL_ERROR (RFC 9113 §8.1.1)
  std::uint64_t oversized_headers = 0;  // answered 431: header bytes or count over the limits
  std::uint64_t resets_received = 0;    // RST_STREAM frames from the client
  std::uint64_t rapid_reset_goaways = 0;     // resets per second over max_resets_per_second
  std::uint64_t control_flood_goaways = 0;   // SETTINGS/PING/PRIORITY per second over the limit
  std::uint64_t empty_data_flood_goaways = 0;  // empty DATA frames per second over the limit
  std::uint64_t library_goaways = 0;  // nghttp2's own: ack flood, CONTINUATION flood, ...
  std::uint64_t stalled_resets = 0;   // zero-window stalls reset by check_stalls
};

class ServerSession : public detail::SessionCore {
 public:
  ServerSession(const SessionSettings& settings, ServerHandler& handler);
  ~ServerSession() override;

  // Bytes from the client (the connection preface first). An error means the connection must
  // close once output() has been flushed (it then holds a GOAWAY saying why).
  core::Result<void> feed(std::span<const char> bytes);

  // The response head: status and fields (names lower-cased, connection-specific ones dropped).
  // Without `end_stream`, the body follows through send_data / submit_trailers.
  core::Result<void> submit_response(std::int32_t stream_id, const ResponseHead& head,
                                     bool end_stream);
  // A 1xx response before the final one (103 Early Hints, 100 Continue); never 101.
  core::Result<void> submit_informational(std::int32_t stream_id, const ResponseHead& head);
  // Graceful: GOAWAY with the last stream id 2^31-1 and a PING, then, once the PING is
  // answered, GOAWAY with the real last stream id (RFC 9113 §6.8); streams in flight finish.
  // Otherwise one GOAWAY(NO_ERROR) ends the session as soon as it is sent.
  void goaway(bool graceful);
  std::size_t check_stalls(Clock::time_point now);

  [[nodiscard]] const ServerStats& stats() const noexcept { return stats_; }

 private:
  struct Stream;

  void window_open(std::int32_t stream_id) override;
  Stream* acquire(std::int32_t stream_id);
  void release(Stream& stream);
  int on_begin_headers(const nghttp2_frame& frame);
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame& frame);
  int on_data_chunk(std::int32_t stream_id, std::span<const char> data);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  // The request's HEADERS are complete: validate, fill the head, deliver or refuse it.
  void finish_request(Stream& stream, bool end_stream);
  void refuse(Stream& stream, std::uint16_t status);
  int on_begin_frame(const nghttp2_frame_hd& hd);

  static int begin_frame_cb(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data);
  static int begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int header_cb(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t flags, void* user_data);
  static int frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int data_chunk_cb(nghttp2_session*, std::uint8_t flags, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* user_data);
  static int stream_close_cb(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user_data);
  static int invalid_frame_cb(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                              void* user_data);

  ServerHandler& handler_;
  ServerStats stats_;
  RateWindow resets_;
  RateWindow control_frames_;
  RateWindow empty_data_;
  bool shutdown_ping_sent_ = false;
  // Streams are recycled: a steady state of requests allocates none.
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<Stream*> free_;
};

}  // namespace bulwark::http::h2
