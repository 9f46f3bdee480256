#pragma once
// HTTP/2 towards a backend (RFC 9113), in memory: many requests multiplexed over one connection.
// Bytes in through feed(), out through output(); responses out through a ClientHandler.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/error.h"
#include "http/h2/session_core.h"
#include "http/message.h"

namespace bulwark::http::h2 {

// Receives a ClientSession's events, from inside feed() (and output() for on_window_open).
class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  // A 1xx response (not 101), before the final one.
  virtual void on_informational(std::int32_t stream_id, ResponseHead&& head) = 0;
  // The final response head; `end_stream`: no body follows.
  virtual void on_response(std::int32_t stream_id, ResponseHead&& head, bool end_stream) = 0;
  // Body bytes (valid during the call only); consume() them once forwarded. The last call has
  // `end_stream` (possibly with no bytes), unless the body ends with trailers.
  virtual void on_response_data(std::int32_t stream_id, std::span<const char> data,
                                bool end_stream) = 0;
  virtual void on_response_trailers(std::int32_t stream_id, HeaderMap&& trailers) = 0;
  // Every submitted stream ends with this; NO_ERROR (0) when the exchange completed. Its arena
  // may go afterwards.
  virtual void on_stream_closed(std::int32_t stream_id, std::uint32_t error_code) = 0;
  // The backend will process no stream above `last_stream_id`; higher ones close with
  // REFUSED_STREAM, which makes them safe to retry elsewhere.
  virtual void on_goaway(std::int32_t last_stream_id, std::uint32_t error_code) = 0;
  // The stream's queued request body fell below send_low_water.
  virtual void on_window_open(std::int32_t stream_id) = 0;
  virtual void on_ping_ack() = 0;
};

class ClientSession : public detail::SessionCore {
 public:
  ClientSession(const SessionSettings& settings, ClientHandler& handler);
  ~ClientSession() override;

  core::Result<void> feed(std::span<const char> bytes);

  // Opens a stream for `head` (origin-form path, CONNECT's authority, or extended CONNECT with
  // head.protocol). `authority` is :authority (empty: the Host field's value); `scheme` is
  // :scheme. Host and connection-specific fields are not sent; "te: trailers" is. The response
  // head, fields and trailers are copied into `arena`, which must outlive on_stream_closed.
  core::Result<std::int32_t> submit_request(const RequestHead& head, std::string_view authority,
                                            std::string_view scheme, bool end_stream,
                                            core::Arena& arena);
  // The owner of a stream that has not closed yet goes away (its client left, a deadline
  // passed): the stream is reset (CANCEL), its arena is no longer touched, and whatever still
  // arrives for it is dropped (the handler hears only on_stream_closed).
  void abandon(std::int32_t stream_id);
  // Liveness: on_ping_ack follows the backend's answer.
  void ping();
  // GOAWAY(NO_ERROR): no new streams; the ones in flight finish.
  void goaway();

  // The most streams the backend allows at once (SETTINGS_MAX_CONCURRENT_STREAMS).
  [[nodiscard]] std::uint32_t max_streams() const noexcept;
  // A new request may go on this connection: no GOAWAY either way and a free stream slot.
  [[nodiscard]] bool has_capacity() const noexcept;

 private:
  struct Stream;

  void window_open(std::int32_t stream_id) override;
  void release(Stream& stream);
  int on_begin_headers(const nghttp2_frame& frame);
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame& frame);
  int on_data_chunk(std::int32_t stream_id, std::span<const char> data);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  void finish_head(Stream& stream, bool end_stream);

  static int begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int header_cb(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t flags, void* user_data);
  static int frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int data_chunk_cb(nghttp2_session*, std::uint8_t flags, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* user_data);
  static int stream_close_cb(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user_data);

  ClientHandler& handler_;
  bool goaway_ = false;  // sent or received
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<Stream*> free_;
};

}  // namespace bulwark::http::h2
