#pragma once
// One request on a shared HTTP/2 connection to a backend (H2UpstreamConnection), as the
// UpstreamLeg sees it: the request body goes out through write() (queued on the stream, framed
// as DATA as the backend's windows allow; write waits while the queue is full), the response
// head arrives through wait_head(), and the response body is read through read_some(). The
// backend's window reopens only as the body is read (consume), so a slow client slows the
// backend's sending on this stream alone, not the connection's other streams.
//
// Owned by the UpstreamLeg; a stream dropped before the backend finished is reset (CANCEL), and
// the connection forgets it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/error.h"
#include "core/io.h"
#include "http/message.h"
#include "proxy/stream_pipe.h"
#include "proxy/stream_signal.h"

namespace bulwark::proxy {

class H2UpstreamConnection;

class H2UpstreamStream final : public StreamPipe {
 public:
  explicit H2UpstreamStream(const core::Executor& executor) : signal_(executor) {}
  H2UpstreamStream(const H2UpstreamStream&) = delete;
  H2UpstreamStream& operator=(const H2UpstreamStream&) = delete;
  ~H2UpstreamStream();

  // Sends the request head on `connection`; `end_stream`: no body follows. The response head
  // and trailers are built in `arena` (the client stream's). Fails, safe to retry, when the
  // connection cannot take a new stream.
  core::Result<void> open(H2UpstreamConnection& connection, const http::RequestHead& head,
                          std::string_view scheme, bool end_stream, core::Arena& arena);

  // Gives the stream up before it ended (reset upstream); every wait on it fails from now on.
  void abandon() noexcept;
  // After the last body byte: ends the request (with trailers, when there are some).
  std::error_code finish_request(const http::HeaderMap& trailers);

  enum class Head : std::uint8_t { kInterim, kFinal, kFailed };
  // The next response head, moved into `out`: an interim (1xx) one or the final one; kFailed
  // when the stream ended first (failure() says why) or the wait was cancelled.
  core::Task<Head> wait_head(http::ResponseHead& out);
  // Why the stream failed, as the UpstreamLeg reports it (and whether a retry is safe).
  [[nodiscard]] core::Error failure() const noexcept;
  // The response's trailers, complete once read_some reported the end (the same object all
  // along: a relay may hold on to it from the start).
  [[nodiscard]] const http::HeaderMap& trailers() const noexcept { return trailers_; }

  // StreamPipe
  core::Task<net::IoResult> read_some(asio::mutable_buffer buffer) override;
  core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) override;
  void cancel() noexcept override { signal_.cancel(); }

  // From the connection's reader. Heads and trailers live in the arena given to open().
  void on_interim(http::ResponseHead&& head);
  void on_response(http::ResponseHead&& head, bool end_stream);
  void on_data(std::span<const char> data, bool end_stream);
  void on_trailers(http::HeaderMap&& trailers);
  // `error_code`: RST_STREAM's, or kConnectionLost.
  void on_closed(std::uint32_t error_code);
  void on_window_open() noexcept { signal_.wake(); }

  // Queued request body at which write() waits (the codec's send_low_water).
  static constexpr std::size_t kSendLowWater = std::size_t{64} * 1024;
  // The stream's end when the connection itself failed (not an HTTP/2 error code).
  static constexpr std::uint32_t kConnectionLost = 0xffffffff;

  [[nodiscard]] std::int32_t id() const noexcept { return id_; }
  // Closed by the backend, or abandoned.
  [[nodiscard]] bool ended() const noexcept { return closed_; }

 private:
  void detach();

  H2UpstreamConnection* connection_ = nullptr;
  std::int32_t id_ = 0;
  StreamSignal signal_;
  std::vector<http::ResponseHead*> interim_;
  http::ResponseHead* head_ = nullptr;
  http::HeaderMap trailers_;  // in the arena given to open()
  std::string input_;         // body bytes received and not read yet
  std::size_t input_read_ = 0;
  // A read waiting for bytes: the reader copies DATA straight into it (one copy, not two).
  asio::mutable_buffer pending_read_;
  std::size_t pending_filled_ = 0;
  std::uint32_t error_code_ = 0;
  bool reused_ = false;  // opened on a connection that had carried streams before
  bool head_taken_ = false;
  bool input_ended_ = false;
  bool closed_ = false;
};

}  // namespace bulwark::proxy
