#include "proxy/h2_upstream_connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "core/log.h"
#include "proxy/h2_upstream_pool.h"
#include "proxy/h2_upstream_stream.h"
#include "proxy/io.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {

H2UpstreamConnection::H2UpstreamConnection(WorkerContext& worker, H2UpstreamPool& pool,
                                           H2UpstreamKey key, upstream::ConnectionPtr connection,
                                           const Options& options)
    : worker_(worker),
      pool_(pool),
      key_(std::move(key)),
      connection_(std::move(connection)),
      idle_timeout_(options.idle_timeout),
      write_timeout_(options.write_timeout),
      session_(options.session, *this),
      read_deadline_(worker.timeouts, connection_->transport.socket()),
      write_deadline_(worker.timeouts, connection_->transport.socket()) {}

H2UpstreamConnection::~H2UpstreamConnection() = default;

void H2UpstreamConnection::start() {
  refs_ = 1;  // the reader
  // Posted: co_spawn would run the reader inline, inside the coroutine of the request that made
  // the connection, and Asio cannot nest the two.
  asio::post(worker_.io, [this] { asio::co_spawn(worker_.io, read_loop(), asio::detached); });
  flush();  // the preface and SETTINGS
}

bool H2UpstreamConnection::has_capacity() const noexcept {
  return !closed_ && session_.has_capacity();
}

core::Result<std::int32_t> H2UpstreamConnection::open(H2UpstreamStream& stream,
                                                      const http::RequestHead& head,
                                                      std::string_view scheme, bool end_stream,
                                                      core::Arena& arena) {
  if (closed_) {
    return core::fail(core::ErrorKind::kUpstreamReset, "the upstream connection closed", true);
  }
  auto id = session_.submit_request(head, {}, scheme, end_stream, arena);
  if (!id) return id;
  streams_.emplace(*id, &stream);
  ++streams_opened_;
  ++refs_;
  flush();
  return id;
}

void H2UpstreamConnection::detach(H2UpstreamStream& stream, bool closed) {
  streams_.erase(stream.id());
  if (!closed && !closed_) {
    session_.abandon(stream.id());
    flush();
  }
  if (streams_.empty() && !closed_) {
    // Idle from now on: the reader's wait gets the idle limit.
    read_deadline_.wait_for(Waiting::kIdle, idle_timeout_);
  }
  release();
}

H2UpstreamStream* H2UpstreamConnection::find(std::int32_t stream_id) const noexcept {
  const auto found = streams_.find(stream_id);
  return found == streams_.end() ? nullptr : found->second;
}

core::Task<void> H2UpstreamConnection::read_loop() {
  net::Transport& transport = connection_->transport;
  while (!closed_) {
    if (in_.writable().empty()) in_ = worker_.buffers.take();
    // Streams in flight have their own deadlines; a connection without any closes when idle.
    if (streams_.empty()) {
      read_deadline_.wait_for(Waiting::kIdle, idle_timeout_);
    } else {
      read_deadline_.clear();
    }
    auto [ec, received] = co_await transport.read_some(to_asio(in_.writable()));
    read_deadline_.clear();
    if (ec || received == 0) {
      if (read_deadline_.expired() == Waiting::kIdle && streams_.empty()) {
        // Idle too long (or the worker drains): say goodbye properly (RFC 9113 §6.8).
        read_deadline_.reset_expired();
        session_.goaway();
        closed_ = true;
        flush();
      } else {
        BULWARK_LOG_DEBUG("upstream HTTP/2 connection to {} ended: {}", key_.cluster,
                          ec ? ec.message() : "closed by the backend");
      }
      break;
    }
    in_.commit(received);
    const auto readable = view(in_.readable());
    feeding_ = true;
    const core::Result<void> fed = session_.feed({readable.data(), readable.size()});
    feeding_ = false;
    // The codec copied what it keeps: an idle connection holds no buffer while it waits.
    if (streams_.empty()) {
      in_.release();
    } else {
      in_.clear_from(0);
    }
    flush();
    if (!fed) {
      BULWARK_LOG_WARN("upstream HTTP/2 connection of cluster {} failed: {}", key_.cluster,
                       fed.error().detail);
      break;
    }
    if (!session_.want_read()) break;  // GOAWAY exchanged and no stream left
  }
  closed_ = true;
  in_.release();
  // Streams still open end now; their owners detach in their own time.
  for (auto& [id, stream] : streams_)
    stream->on_closed(H2UpstreamStream::kConnectionLost);
  release();
}

void H2UpstreamConnection::flush() {
  // nghttp2 must not be asked for output from inside its own callbacks: the reader flushes
  // once feed() has returned.
  if (writing_ || feeding_ || !session_.want_write()) return;
  writing_ = true;
  ++refs_;
  // Posted: the frames every stream queues in this turn of the loop go out in one write.
  asio::post(worker_.io, [this] { asio::co_spawn(worker_.io, write_loop(), asio::detached); });
}

core::Task<void> H2UpstreamConnection::write_loop() {
  net::Transport& transport = connection_->transport;
  while (session_.want_write()) {
    const std::span<const char> out = session_.output();
    if (out.empty()) break;
    write_deadline_.wait_for(Waiting::kUpstreamWrite, write_timeout_);
    auto [ec, written] = co_await transport.write(asio::buffer(out.data(), out.size()));
    write_deadline_.clear();
    if (ec) {
      // The backend is gone or takes nothing: the reader ends too, and with it every stream.
      closed_ = true;
      asio::error_code ignored;
      transport.socket().cancel(ignored);
      break;
    }
    session_.output_sent(written);
  }
  writing_ = false;
  release();
}

void H2UpstreamConnection::release() {
  if (--refs_ != 0) return;
  pool_.remove(*this);  // destroys this
}

void H2UpstreamConnection::on_informational(std::int32_t stream_id, http::ResponseHead&& head) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_interim(std::move(head));
}

void H2UpstreamConnection::on_response(std::int32_t stream_id, http::ResponseHead&& head,
                                       bool end_stream) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_response(std::move(head), end_stream);
}

void H2UpstreamConnection::on_response_data(std::int32_t stream_id, std::span<const char> data,
                                            bool end_stream) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_data(data, end_stream);
}

void H2UpstreamConnection::on_response_trailers(std::int32_t stream_id,
                                                http::HeaderMap&& trailers) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_trailers(std::move(trailers));
}

void H2UpstreamConnection::on_stream_closed(std::int32_t stream_id, std::uint32_t error_code) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_closed(error_code);
}

void H2UpstreamConnection::on_goaway([[maybe_unused]] std::int32_t last_stream_id,
                                     [[maybe_unused]] std::uint32_t error_code) {
  // No new stream goes here (has_capacity is false from now on); streams above last_stream_id
  // close with REFUSED_STREAM, which their legs retry elsewhere.
  BULWARK_LOG_DEBUG("upstream HTTP/2 connection of cluster {}: GOAWAY (last stream {}, code {})",
                    key_.cluster, last_stream_id, error_code);
}

void H2UpstreamConnection::on_window_open(std::int32_t stream_id) {
  if (H2UpstreamStream* stream = find(stream_id)) stream->on_window_open();
}

}  // namespace bulwark::proxy
