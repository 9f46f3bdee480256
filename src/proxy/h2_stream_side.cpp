#include "proxy/h2_stream_side.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "proxy/h2_connection.h"
#include "proxy/io.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

// RST_STREAM codes (RFC 9113 §7).
constexpr std::uint32_t kInternalError = 0x2;

}  // namespace

H2StreamSide::H2StreamSide(H2Connection& connection, std::int32_t id,
                           std::unique_ptr<Stream> stream)
    : ClientSide(connection.base().worker()),
      connection_(connection),
      id_(id),
      snapshot_(connection.base().snapshot_ptr()),
      listener_(connection.base().listener()),
      stream_(std::move(stream)),
      deadline_(connection.base().worker().timeouts, static_cast<StreamPipe&>(*this)),
      signal_(connection.base().worker().io.get_executor()) {}

H2StreamSide::~H2StreamSide() = default;

const ClientPeer& H2StreamSide::peer() const noexcept {
  return connection_.base().peer();
}

bool H2StreamSide::secure() const noexcept {
  return connection_.base().secure();
}

bool H2StreamSide::closing() const noexcept {
  return connection_.closing();
}

void H2StreamSide::push(std::span<const char> data, bool end_stream) {
  input_.append(data.data(), data.size());
  input_ended_ = input_ended_ || end_stream;
  wake();
}

void H2StreamSide::end_input() noexcept {
  input_ended_ = true;
  wake();
}

void H2StreamSide::reset() noexcept {
  reset_ = true;
  head_ = nullptr;
  wake();
}

void H2StreamSide::cancel() noexcept {
  signal_.cancel();
}

void H2StreamSide::start_request_body(Stream& stream) {
  const http::RequestHead& request = stream.request;
  // DATA frames carry the body as it is; a body without Content-Length ends with the stream.
  if (request.framing == http::BodyFraming::kContentLength ||
      request.framing == http::BodyFraming::kNone) {
    stream.request_body.start(request.framing, request.content_length);
  } else {
    stream.request_body.start(http::BodyFraming::kUntilClose, 0);
  }
}

RequestBodySource H2StreamSide::request_body_source() {
  if (body_buffer_.empty() && body_buffer_.writable().empty()) {
    body_buffer_ = worker().buffers.take();
  }
  return {.port = {.pipe = this}, .buffer = body_buffer_, .floor = 0};
}

core::Task<net::IoResult> H2StreamSide::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (reset_) co_return net::IoResult{asio::error::connection_reset, 0};
    if (input_read_ < input_.size()) {
      const std::size_t size = std::min(buffer.size(), input_.size() - input_read_);
      std::memcpy(buffer.data(), input_.data() + input_read_, size);
      input_read_ += size;
      if (input_read_ == input_.size()) {
        input_.clear();
        input_read_ = 0;
      }
      // Forwarded: the client may send as much again.
      connection_.session().consume(id_, size);
      connection_.flush();
      co_return net::IoResult{std::error_code{}, size};
    }
    if (input_ended_) co_return net::IoResult{asio::error::eof, 0};
    if (const std::error_code ec = co_await signal_.wait()) co_return net::IoResult{ec, 0};
  }
}

bool H2StreamSide::submit_head(bool end_stream) {
  if (head_ == nullptr) return true;
  http::ResponseHead& head = *head_;
  head_ = nullptr;
  response_started_ = true;
  response_ended_ = end_stream;
  return connection_.session().submit_response(id_, head, end_stream).has_value();
}

core::Task<std::error_code> H2StreamSide::queue(std::span<const asio::const_buffer> pieces,
                                                bool end_stream) {
  if (reset_) co_return asio::error::connection_reset;
  std::size_t last = pieces.size();
  while (last > 0 && pieces[last - 1].size() == 0)
    --last;
  if (head_ != nullptr && last == 0 && end_stream) {
    // A response without a body: HEADERS with END_STREAM, no DATA frame.
    const bool submitted = submit_head(true);
    connection_.flush();
    co_return submitted ? std::error_code{} : asio::error::connection_reset;
  }
  if (!submit_head(false)) co_return asio::error::connection_reset;
  http::h2::ServerSession& session = connection_.session();
  for (std::size_t i = 0; i < last; ++i) {
    const auto* data = static_cast<const char*>(pieces[i].data());
    const bool end = end_stream && i + 1 == last;
    if (!session.send_data(id_, {data, pieces[i].size()}, end)) {
      co_return asio::error::connection_reset;
    }
  }
  if (last == 0 && end_stream && !session.send_data(id_, {}, true)) {
    co_return asio::error::connection_reset;
  }
  response_ended_ = response_ended_ || end_stream;
  connection_.flush();
  while (!reset_ && session.queued_bytes(id_) >= kSendLowWater) {
    if (const std::error_code ec = co_await signal_.wait()) co_return ec;
  }
  // A stream that closed after its last byte was queued ended well.
  co_return reset_ && !response_ended_ ? asio::error::connection_reset : std::error_code{};
}

core::Task<net::IoResult> H2StreamSide::write(std::span<const asio::const_buffer> pieces) {
  std::size_t size = 0;
  for (const asio::const_buffer& piece : pieces)
    size += piece.size();
  const std::error_code ec = co_await queue(pieces, false);
  co_return net::IoResult{ec, ec ? 0 : size};
}

core::Task<bool> H2StreamSide::send_continue() {
  if (reset_) co_return false;
  http::ResponseHead interim;
  interim.status = 100;
  co_return co_await send_interim(interim);
}

bool H2StreamSide::begin_response(http::ResponseHead& head) {
  head_ = &head;
  return true;
}

core::Task<bool> H2StreamSide::send_body(std::span<const asio::const_buffer> body,
                                         bool end_stream) {
  deadline_.wait_for(Waiting::kClientWrite, snapshot().config->timeouts.send);
  const std::error_code ec = co_await queue(body, end_stream);
  deadline_.clear();
  co_return !ec;
}

core::Task<net::SendFileResult> H2StreamSide::send_file(std::span<const asio::const_buffer> prefix,
                                                        int fd, std::uint64_t offset,
                                                        std::uint64_t length) {
  net::SendFileResult result;
  if (!co_await send_body(prefix, false)) {
    result.error = asio::error::connection_reset;
    co_return result;
  }
  // DATA frames are cut from bytes in memory: the file is read in buffer-sized pieces, each
  // queued before the next is read, so a slow client holds one buffer.
  core::Buffer chunk = worker().buffers.take();
  while (result.sent < length) {
    const std::size_t want = std::min<std::uint64_t>(chunk.writable().size(), length - result.sent);
    const ssize_t got =
        ::pread(fd, chunk.writable().data(), want, static_cast<off_t>(offset + result.sent));
    if (got <= 0) {
      result.error = std::make_error_code(std::errc::io_error);
      co_return result;
    }
    const std::array<asio::const_buffer, 1> piece = {
        asio::const_buffer(chunk.writable().data(), static_cast<std::size_t>(got))};
    if (!co_await send_body(piece, false)) {
      result.error = asio::error::connection_reset;
      co_return result;
    }
    result.sent += static_cast<std::uint64_t>(got);
  }
  co_return result;
}

core::Task<bool> H2StreamSide::send_interim(http::ResponseHead& head) {
  if (reset_) co_return false;
  // Interim responses are optional: one the codec refuses is dropped, and the stream goes on.
  const core::Result<void> submitted = connection_.session().submit_informational(id_, head);
  if (!submitted)
    BULWARK_LOG_DEBUG("HTTP/2: interim response dropped: {}", submitted.error().detail);
  connection_.flush();
  co_return true;
}

core::Task<RelayResult> H2StreamSide::relay_response(ResponseRelay& relay) {
  relay.keep_alive = true;
  http::ResponseHead& head = relay.head;
  if (head.framing == http::BodyFraming::kNone) {
    head_ = &head;
    const bool sent = submit_head(true);
    connection_.flush();
    co_return RelayResult{.outcome = sent ? RelayOutcome::kDone : RelayOutcome::kSinkFailed};
  }
  head_ = &head;
  RelayResult relayed = co_await relay_body({
      .source = relay.source,
      .buffer = relay.buffer,
      .floor = relay.buffer.offset(),
      .sink = {.pipe = this},
      .decoder = relay.decoder,
      .sink_framing = SinkFraming::kAsIs,
      .deadline = deadline_,
      .read_wait = Waiting::kUpstreamRead,
      .read_timeout = relay.read_timeout,
      .write_wait = Waiting::kClientWrite,
      .write_timeout = snapshot().config->timeouts.send,
      .tap = relay.tap,
      .framed_source = relay.framed_source,
      .source_trailers = relay.source_trailers,
      .trailers = relay.trailers,
  });
  if (relayed.outcome != RelayOutcome::kDone) co_return relayed;
  http::h2::ServerSession& session = connection_.session();
  const http::HeaderMap& trailers = relay.trailers != nullptr          ? *relay.trailers
                                    : relay.source_trailers != nullptr ? *relay.source_trailers
                                                                       : relay.decoder.trailers();
  bool ended = false;
  if (head_ != nullptr) {
    ended = submit_head(trailers.empty());  // an empty body: the head ends the stream
  } else if (trailers.empty()) {
    ended = session.send_data(id_, {}, true).has_value();
  }
  if (!trailers.empty()) ended = session.submit_trailers(id_, trailers).has_value();
  response_ended_ = ended;
  connection_.flush();
  if (!ended) relayed.outcome = RelayOutcome::kSinkFailed;
  co_return relayed;
}

void H2StreamSide::finish_response() {
  // A response cut short (the upstream failed mid-body, or nothing was sent): only a reset
  // tells the client.
  if (!response_ended_ && !reset_) connection_.session().reset_stream(id_, kInternalError);
}

}  // namespace bulwark::proxy
