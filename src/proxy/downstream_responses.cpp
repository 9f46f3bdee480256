// How an HTTP/1.1 connection reads its streams' request bodies and writes their responses: the
// ClientSide of DownstreamConnection. A response head is serialized when it is ready and goes
// out in one gathered write with the first body bytes (or with the file's first bytes, through
// sendfile).

#include <array>
#include <asio/ip/tcp.hpp>

#include "http/h1/serializer.h"
#include "net/send_file.h"
#include "net/tls/secure_send_file.h"
#include "proxy/downstream_connection.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// The staged head plus the body pieces of one send_body call.
constexpr std::size_t kMaxPieces = 8;

}  // namespace

void DownstreamConnection::start_request_body(Stream& stream) {
  stream.request_body.start(stream.request.framing, stream.request.content_length);
}

RequestBodySource DownstreamConnection::request_body_source() {
  return {.port = {.transport = &transport_}, .buffer = in_, .floor = body_start_};
}

core::Task<bool> DownstreamConnection::send_continue() {
  if (!in_.empty()) co_return true;  // the body is on its way already
  const std::array<asio::const_buffer, 1> pieces = {asio::buffer(kContinue)};
  co_return co_await write(pieces);
}

bool DownstreamConnection::begin_response(http::ResponseHead& head) {
  head_out_ = worker().buffers.take();
  head_out_size_ = http::h1::write_response_head(head, head_out_.writable());
  if (head_out_size_ == 0) head_out_.release();
  return head_out_size_ != 0;
}

core::Task<bool> DownstreamConnection::send_body(std::span<const asio::const_buffer> body,
                                                 bool end_stream) {
  (void)end_stream;  // the head's framing says where the body ends
  std::array<asio::const_buffer, kMaxPieces> pieces{};
  std::size_t count = 0;
  if (head_out_size_ != 0)
    pieces[count++] = asio::buffer(head_out_.writable().data(), head_out_size_);
  for (const asio::const_buffer& piece : body) {
    if (piece.size() != 0) pieces[count++] = piece;
  }
  if (count == 0) co_return true;
  const bool written = co_await write({pieces.data(), count});
  head_out_size_ = 0;
  head_out_.release();
  co_return written;
}

core::Task<net::SendFileResult> DownstreamConnection::send_file(
    std::span<const asio::const_buffer> prefix, int fd, std::uint64_t offset,
    std::uint64_t length) {
  std::array<asio::const_buffer, net::kMaxPrefixBuffers> pieces{};
  std::size_t count = 0;
  if (head_out_size_ != 0)
    pieces[count++] = asio::buffer(head_out_.writable().data(), head_out_size_);
  for (const asio::const_buffer& piece : prefix)
    pieces[count++] = piece;
  if (!nodelay_done_) {
    // The file leaves in several segments: the last must not wait for a delayed ACK.
    asio::error_code ignored;
    transport_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    nodelay_done_ = true;
  }
  const core::Clock::duration send_timeout = snapshot_->config->timeouts.send;
  const auto before_wait = [this, send_timeout] {
    deadline_.wait_for(Waiting::kClientWrite, send_timeout);
  };
  const std::span<const asio::const_buffer> all(pieces.data(), count);
  // Not a conditional expression: g++ 12 miscompiles co_await in both of its arms.
  net::SendFileResult sent;
  if (transport_.secure()) {
    sent = co_await net::send_file_secure(transport_, all, fd, offset, length, before_wait);
  } else {
    sent = co_await net::send_file(transport_.socket(), all, fd, offset, length, before_wait);
  }
  deadline_.clear();
  head_out_size_ = 0;
  head_out_.release();
  co_return sent;
}

core::Task<bool> DownstreamConnection::send_interim(http::ResponseHead& head) {
  head.framing = http::BodyFraming::kNone;
  head.keep_alive = true;
  core::Buffer out = worker().buffers.take();
  const std::size_t size = http::h1::write_response_head(head, out.writable());
  if (size == 0) co_return true;  // too large to pass on; interim responses are optional
  const std::array<asio::const_buffer, 1> pieces = {
      asio::const_buffer(out.writable().data(), size)};
  co_return co_await write(pieces);
}

core::Task<RelayResult> DownstreamConnection::relay_response(ResponseRelay& relay) {
  http::ResponseHead& response = relay.head;
  const http::RequestHead& request = stream_->request;
  // The client's framing: HTTP/1.0 clients cannot take chunks, so an unknown length ends with
  // the close; HTTP/1.1 clients get chunks and keep the connection.
  bool keep_alive = request.keep_alive && relay.request_done && !closing();
  SinkFraming sink_framing = SinkFraming::kAsIs;
  if (response.framing == http::BodyFraming::kChunked ||
      response.framing == http::BodyFraming::kUntilClose) {
    if (request.version_minor == 0) {
      response.framing = http::BodyFraming::kUntilClose;
      keep_alive = false;
    } else {
      response.framing = http::BodyFraming::kChunked;
      sink_framing = SinkFraming::kChunked;
    }
  }
  response.keep_alive = keep_alive;
  response.version_minor = request.version_minor;
  relay.keep_alive = keep_alive;
  if (!begin_response(response)) {
    co_return RelayResult{.outcome = RelayOutcome::kHeadRejected};
  }
  const RelayResult relayed = co_await relay_body({
      .source = relay.source,
      .buffer = relay.buffer,
      .floor = relay.buffer.offset(),
      .sink = {.transport = &transport_},
      .decoder = relay.decoder,
      .sink_framing = sink_framing,
      .prefix = std::string_view(head_out_.writable().data(), head_out_size_),
      .deadline = deadline_,
      .read_wait = Waiting::kUpstreamRead,
      .read_timeout = relay.read_timeout,
      .write_wait = Waiting::kClientWrite,
      .write_timeout = snapshot_->config->timeouts.send,
      .tap = relay.tap,
      .nodelay_done = &nodelay_done_,
      .framed_source = relay.framed_source,
      .source_trailers = relay.source_trailers,
      .trailers = relay.trailers,
  });
  head_out_size_ = 0;
  head_out_.release();
  co_return relayed;
}

}  // namespace bulwark::proxy
