#include "proxy/h2_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "core/log.h"
#include "proxy/h2_output.h"
#include "proxy/h2_stream_side.h"
#include "proxy/io.h"
#include "proxy/stream_handler.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

// The reader's wait while streams are open: "no limit", as far as one connection can tell.
constexpr std::chrono::hours kStreamsOpenWait{24};

http::h2::SessionSettings session_settings(const ProxySnapshot& snapshot,
                                           const config::Http2Settings& http2) {
  const config::Limits& limits = snapshot.config->limits;
  return {.max_concurrent_streams = http2.max_concurrent_streams,
          .initial_stream_window = http2.initial_stream_window,
          .connection_window = http2.connection_window,
          .max_frame_size = http2.max_frame_size,
          .max_header_bytes = limits.max_header_bytes,
          .max_header_count = limits.max_header_count,
          .max_resets_per_second = http2.max_resets_per_second,
          .max_control_frames_per_second = http2.max_control_frames_per_second,
          .stall_timeout = http2.stall_timeout,
          .send_low_water = H2StreamSide::kSendLowWater};
}

}  // namespace

H2Connection::H2Connection(std::unique_ptr<DownstreamConnection> h1)
    : h1_(std::move(h1)),
      session_(session_settings(h1_->snapshot(), h1_->listener().spec->http2), *this),
      write_deadline_(h1_->worker().timeouts, h1_->transport().socket()) {}

H2Connection::~H2Connection() = default;

core::Task<void> H2Connection::serve(std::unique_ptr<DownstreamConnection> h1) {
  // Frames of many streams share the connection: none may wait for a delayed ACK (Nagle).
  asio::error_code ignored;
  h1->transport().socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  auto* connection = new H2Connection(std::move(h1));
  co_await connection->read_loop();
  connection->release();
}

core::Task<void> H2Connection::read_loop() {
  DownstreamConnection& base = *h1_;
  ConnectionDeadline& deadline = base.deadline();
  // Bytes read before the protocol was known (the h2c preface) come first.
  in_ = base.take_input();
  bool first = true;
  while (!closed_) {
    if (!in_.empty()) {
      const auto readable = view(in_.readable());
      feeding_ = true;
      const core::Result<void> fed = session_.feed({readable.data(), readable.size()});
      feeding_ = false;
      // The codec copied what it keeps: a connection with no stream open holds no buffer while
      // it waits (DESIGN.md §2: idle connections cost little).
      if (idle()) {
        in_.release();
      } else {
        in_.clear_from(0);
      }
      flush();
      if (!fed) {
        BULWARK_LOG_DEBUG("HTTP/2 connection from {} closed: {}", base.peer().address.to_string(),
                          fed.error().detail);
        break;
      }
    }
    if (!session_.want_read()) {
      BULWARK_LOG_DEBUG("HTTP/2: session over ({} streams)", streams_.size());
      break;
    }
    if (idle()) {
      if (closing()) {
        if (!goaway_sent_) {
          goaway_sent_ = true;
          session_.goaway(false);
          flush();
        }
        break;
      }
      // Labelled idle: a drain ends the wait, and then the GOAWAY above. (The timeouts are read
      // each time: a reload may have moved the connection to another snapshot.)
      const config::Timeouts& timeouts = base.snapshot().config->timeouts;
      deadline.reset_expired();
      deadline.wait_for(Waiting::kIdle, first ? timeouts.header_read : timeouts.idle);
    } else if (closing() && !goaway_sent_) {
      // Streams in flight finish; the client opens no more (RFC 9113 §6.8).
      goaway_sent_ = true;
      session_.goaway(true);
      flush();
    } else if (!goaway_sent_) {
      // No time limit of its own (each stream has its deadline), but a drain wakes the reader so
      // that the GOAWAY above goes out at once, not after the streams in flight.
      deadline.wait_for(Waiting::kStreamsOpen, kStreamsOpenWait);
    }
    if (in_.writable().empty()) in_ = base.worker().buffers.take();
    auto [ec, received] = co_await base.transport().read_some(to_asio(in_.writable()));
    deadline.clear();
    if (ec == asio::error::operation_aborted && !closed_ && base.worker().draining) continue;
    if (ec || received == 0) {
      BULWARK_LOG_DEBUG("HTTP/2: read ended: {} ({} streams)", ec ? ec.message() : "eof",
                        streams_.size());
      peer_closed_ = !ec;
      if (deadline.expired() == Waiting::kIdle && !goaway_sent_) {
        // Idle too long: the client learns why the connection goes (RFC 9113 §6.8).
        goaway_sent_ = true;
        session_.goaway(false);
        flush();
      }
      break;
    }
    in_.commit(received);
    first = false;
  }
  closed_ = true;
  in_.release();
  // Streams still running end now: their waits fail, their coroutines return.
  for (auto& [id, stream] : streams_)
    stream->reset();
}

void H2Connection::flush() {
  // nghttp2 must not be asked for output from inside its own callbacks: the reader flushes
  // once feed() has returned.
  if (writing_ || feeding_ || !session_.want_write()) return;
  writing_ = true;
  ++refs_;
  // Posted, not started here: what the streams queue during this turn of the event loop (a
  // response's HEADERS, DATA and END_STREAM, other streams' frames) goes out in one write.
  asio::post(h1_->worker().io,
             [this] { asio::co_spawn(h1_->worker().io, write_loop(), asio::detached); });
}

core::Task<void> H2Connection::write_loop() {
  net::Transport& transport = h1_->transport();
  const std::error_code failed =
      co_await write_session_output(transport, session_, write_deadline_, Waiting::kClientWrite,
                                    h1_->snapshot().config->timeouts.send);
  if (failed) {
    // The client is gone or does not read: the reader ends too.
    closed_ = true;
    asio::error_code ignored;
    transport.socket().cancel(ignored);
  }
  writing_ = false;
  release();
}

void H2Connection::release() {
  if (--refs_ != 0) return;
  if (peer_closed_) {
    delete this;
    return;
  }
  // The client may have frames in flight (a WINDOW_UPDATE, a PING): closing on them would
  // reset the connection and could destroy the last responses before the client reads them.
  const auto close = [](H2Connection* connection) -> core::Task<void> {
    co_await connection->h1_->linger_close();
    delete connection;
  };
  asio::co_spawn(h1_->worker().io, close(this), asio::detached);
}

H2StreamSide* H2Connection::find(std::int32_t stream_id) const noexcept {
  const auto found = streams_.find(stream_id);
  return found == streams_.end() ? nullptr : found->second.get();
}

core::Arena& H2Connection::stream_arena(std::int32_t stream_id) {
  WorkerContext& worker = h1_->worker();
  h1_->adopt_current_snapshot();  // a reload reaches new streams of long-lived connections
  std::unique_ptr<Stream> stream = worker.take_stream();
  stream->prepare(h1_->snapshot().parser_limits);
  auto side = std::make_unique<H2StreamSide>(*this, stream_id, std::move(stream));
  core::Arena& arena = side->stream().arena();
  streams_.emplace(stream_id, std::move(side));
  return arena;
}

void H2Connection::on_request(std::int32_t stream_id, http::RequestHead&& head, bool end_stream) {
  H2StreamSide* side = find(stream_id);
  if (side == nullptr) return;
  Stream& stream = side->stream();
  stream.request = std::move(head);
  start_stream_info(*side, stream);
  if (end_stream) side->end_input();
  side->running = true;
  side->delivered = true;
  ++refs_;
  // Started from the event loop, not from inside the codec's callback.
  asio::post(h1_->worker().io, [this, side] {
    asio::co_spawn(h1_->worker().io, run_stream(*this, *side), asio::detached);
  });
}

core::Task<void> H2Connection::run_stream(H2Connection& connection, H2StreamSide& side) {
  co_await StreamHandler(side, side.stream()).serve();
  connection.stream_done(side);
}

void H2Connection::stream_done(H2StreamSide& side) {
  side.finish_response();
  side.running = false;
  maybe_erase(side);
  flush();  // may close the stream (its last frames go out) and so erase it: not touched after
  release();
}

void H2Connection::maybe_erase(H2StreamSide& side) {
  if (side.running || !side.codec_closed) return;
  std::unique_ptr<Stream> stream = side.take_stream();
  if (side.delivered) {
    finish_stream(h1_->worker(), std::move(stream));
  } else {
    h1_->worker().give_back(std::move(stream));  // refused by the codec: nothing to log
  }
  streams_.erase(side.id());
  if (!streams_.empty() || closed_) return;
  if (closing()) {
    // Draining and the last stream is done: wake the reader to say goodbye.
    asio::error_code ignored;
    h1_->transport().socket().cancel(ignored);
    return;
  }
  // The reader waits without a limit while streams are open: from now on it is an idle
  // connection's wait (a drain or the idle timeout ends it with GOAWAY).
  h1_->deadline().wait_for(Waiting::kIdle, h1_->snapshot().config->timeouts.idle);
}

void H2Connection::on_request_data(std::int32_t stream_id, std::span<const char> data,
                                   bool end_stream) {
  if (H2StreamSide* side = find(stream_id)) side->push(data, end_stream);
}

void H2Connection::on_request_trailers(std::int32_t stream_id, http::HeaderMap&& trailers) {
  (void)trailers;  // request trailers are not forwarded yet
  if (H2StreamSide* side = find(stream_id)) side->end_input();
}

void H2Connection::on_stream_reset(std::int32_t stream_id, std::uint32_t error_code) {
  (void)error_code;
  if (H2StreamSide* side = find(stream_id)) side->cancel_by_client();
}

void H2Connection::on_stream_closed(std::int32_t stream_id) {
  H2StreamSide* side = find(stream_id);
  if (side == nullptr) return;
  side->codec_closed = true;
  side->reset();
  maybe_erase(*side);
}

void H2Connection::on_window_open(std::int32_t stream_id) {
  if (H2StreamSide* side = find(stream_id)) side->window_open();
}

}  // namespace bulwark::proxy
