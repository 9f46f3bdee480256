#pragma once
// One HTTP/2 connection to a backend (RFC 9113), shared by many client requests of one worker:
// cluster `protocol: h2` (TLS, ALPN "h2"), `h2c` (prior knowledge) or `auto` when ALPN chose h2.
// The codec (http::h2::ClientSession) multiplexes the requests as streams; one reader coroutine
// feeds it the backend's bytes and hands each stream its events (H2UpstreamStream), one writer
// at a time sends what all streams queued in a turn of the loop.
//
// Lifetime: owned by its worker's H2UpstreamPool, which offers it for new streams while it has
// capacity. It goes once its reader has ended (the backend closed, a GOAWAY with no stream left,
// the idle timeout, a socket error) and no stream or write uses it any more. Streams still open
// when the connection fails end with kConnectionLost.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/buffer.h"
#include "core/io.h"
#include "http/h2/client_session.h"
#include "proxy/connection_deadline.h"
#include "upstream/endpoint_pool.h"

namespace bulwark::proxy {

class H2UpstreamPool;
class H2UpstreamStream;
class WorkerContext;

// Which connections a request may share: same cluster (same TLS settings), same endpoint.
struct H2UpstreamKey {
  std::string cluster;
  asio::ip::tcp::endpoint endpoint;
};

class H2UpstreamConnection final : public http::h2::ClientHandler {
 public:
  struct Options {
    core::Clock::duration idle_timeout;   // no stream open this long: GOAWAY and close
    core::Clock::duration write_timeout;  // the backend takes no bytes this long: close
    http::h2::SessionSettings session;
  };

  H2UpstreamConnection(WorkerContext& worker, H2UpstreamPool& pool, H2UpstreamKey key,
                       upstream::ConnectionPtr connection, const Options& options);
  H2UpstreamConnection(const H2UpstreamConnection&) = delete;
  H2UpstreamConnection& operator=(const H2UpstreamConnection&) = delete;
  ~H2UpstreamConnection() override;

  // Starts the reader; the connection preface and SETTINGS go out at once.
  void start();

  [[nodiscard]] const H2UpstreamKey& key() const noexcept { return key_; }
  // A new stream may start here now.
  [[nodiscard]] bool has_capacity() const noexcept;
  // Streams were opened on it before: a failure of a new one may be the backend closing an idle
  // connection, not a verdict on the request.
  [[nodiscard]] bool reused() const noexcept { return streams_opened_ > 0; }

  // For H2UpstreamStream.
  [[nodiscard]] http::h2::ClientSession& session() noexcept { return session_; }
  core::Result<std::int32_t> open(H2UpstreamStream& stream, const http::RequestHead& head,
                                  std::string_view scheme, bool end_stream, core::Arena& arena);
  // The stream's owner is done with it; a stream the backend has not closed yet is abandoned.
  void detach(H2UpstreamStream& stream, bool closed);
  // Sends what the codec has queued (starts the writer unless it is running).
  void flush();

  // http::h2::ClientHandler
  void on_informational(std::int32_t stream_id, http::ResponseHead&& head) override;
  void on_response(std::int32_t stream_id, http::ResponseHead&& head, bool end_stream) override;
  void on_response_data(std::int32_t stream_id, std::span<const char> data,
                        bool end_stream) override;
  void on_response_trailers(std::int32_t stream_id, http::HeaderMap&& trailers) override;
  void on_stream_closed(std::int32_t stream_id, std::uint32_t error_code) override;
  void on_goaway(std::int32_t last_stream_id, std::uint32_t error_code) override;
  void on_window_open(std::int32_t stream_id) override;
  void on_ping_ack() override {}

 private:
  core::Task<void> read_loop();
  core::Task<void> write_loop();
  [[nodiscard]] H2UpstreamStream* find(std::int32_t stream_id) const noexcept;
  // Drops a reference (the reader, the writer, a stream); the last one removes the connection.
  void release();

  WorkerContext& worker_;
  H2UpstreamPool& pool_;
  const H2UpstreamKey key_;
  upstream::ConnectionPtr connection_;
  const core::Clock::duration idle_timeout_;
  const core::Clock::duration write_timeout_;
  http::h2::ClientSession session_;
  std::unordered_map<std::int32_t, H2UpstreamStream*> streams_;
  core::Buffer in_;
  ConnectionDeadline read_deadline_;
  ConnectionDeadline write_deadline_;
  std::uint64_t streams_opened_ = 0;
  std::uint32_t refs_ = 0;
  bool writing_ = false;
  bool feeding_ = false;  // inside session_.feed(): its callbacks run
  bool closed_ = false;   // the socket failed or the session ended: no new stream
};

}  // namespace bulwark::proxy
