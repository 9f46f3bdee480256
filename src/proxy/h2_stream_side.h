#pragma once
// The ClientSide of one HTTP/2 stream: its request body arrives as DATA the connection's reader
// hands over (push), and its response goes into the codec's queue for the stream, framed as
// DATA as the client's windows allow. The stream waits when that queue is full, so a client
// that reads slowly slows the upstream read (backpressure), and its window reopens only as
// bulwark forwards the request body (consume), so a slow backend slows the client's upload.

#include <cstdint>
#include <memory>
#include <string>

#include "proxy/client_side.h"
#include "proxy/stream.h"
#include "proxy/stream_pipe.h"
#include "proxy/stream_signal.h"

namespace bulwark::proxy {

class H2Connection;

class H2StreamSide final : public ClientSide, public StreamPipe {
 public:
  H2StreamSide(H2Connection& connection, std::int32_t id, std::unique_ptr<Stream> stream);
  H2StreamSide(const H2StreamSide&) = delete;
  H2StreamSide& operator=(const H2StreamSide&) = delete;
  ~H2StreamSide();

  [[nodiscard]] std::int32_t id() const noexcept { return id_; }
  [[nodiscard]] Stream& stream() noexcept { return *stream_; }
  std::unique_ptr<Stream> take_stream() noexcept { return std::move(stream_); }

  // From the connection's reader.
  void push(std::span<const char> data, bool end_stream);
  void end_input() noexcept;  // trailers ended the request
  void reset() noexcept;      // the stream was reset: every wait ends with an error
  void window_open() noexcept { signal_.wake(); }
  // After the stream's coroutine: a response that did not end is reset.
  void finish_response();

  // The stream's queued response bytes at which its writer waits (and the codec's low water).
  static constexpr std::size_t kSendLowWater = std::size_t{64} * 1024;

  bool delivered = false;     // the codec delivered its request
  bool running = false;       // its coroutine has not ended
  bool codec_closed = false;  // on_stream_closed came

  // ClientSide
  [[nodiscard]] ConnectionDeadline& deadline() noexcept override { return deadline_; }
  [[nodiscard]] const ProxySnapshot& snapshot() const noexcept override { return *snapshot_; }
  [[nodiscard]] const ListenerRuntime& listener() const noexcept override { return listener_; }
  [[nodiscard]] const ClientPeer& peer() const noexcept override;
  [[nodiscard]] bool secure() const noexcept override;
  [[nodiscard]] bool multiplexed() const noexcept override { return true; }
  [[nodiscard]] bool closing() const noexcept override;
  void start_request_body(Stream& stream) override;
  [[nodiscard]] RequestBodySource request_body_source() override;
  void set_unread_input(bool unread) noexcept override { (void)unread; }
  core::Task<bool> send_continue() override;
  bool begin_response(http::ResponseHead& head) override;
  core::Task<bool> send_body(std::span<const asio::const_buffer> body, bool end_stream) override;
  core::Task<net::SendFileResult> send_file(std::span<const asio::const_buffer> prefix, int fd,
                                            std::uint64_t offset, std::uint64_t length) override;
  core::Task<bool> send_interim(http::ResponseHead& head) override;
  core::Task<RelayResult> relay_response(ResponseRelay& relay) override;

  // StreamPipe
  core::Task<net::IoResult> read_some(asio::mutable_buffer buffer) override;
  core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) override;
  void cancel() noexcept override;

 private:
  void wake() noexcept { signal_.wake(); }
  // Submits the head begin_response readied, if it has not gone out yet.
  bool submit_head(bool end_stream);
  // Queues `pieces` and ends the stream after them when `end_stream`; then waits while the
  // stream's queue is full.
  core::Task<std::error_code> queue(std::span<const asio::const_buffer> pieces, bool end_stream);

  H2Connection& connection_;
  const std::int32_t id_;
  // The snapshot the stream started on, kept until it ends, whatever reloads happen meanwhile.
  const SnapshotPtr snapshot_;
  const ListenerRuntime& listener_;
  std::unique_ptr<Stream> stream_;
  ConnectionDeadline deadline_;
  StreamSignal signal_;
  std::string input_;  // request body bytes not yet read by the relay
  std::size_t input_read_ = 0;
  core::Buffer body_buffer_;            // the relay's buffer for the request body
  http::ResponseHead* head_ = nullptr;  // readied by begin_response, not submitted yet
  bool response_started_ = false;
  bool response_ended_ = false;
  bool input_ended_ = false;
  bool reset_ = false;
};

}  // namespace bulwark::proxy
