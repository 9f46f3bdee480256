#pragma once
// What the server and client sessions share: the nghttp2 session, the bytes to send, and the
// per-stream outbound body queues that DATA frames are cut from as the peer's windows allow.

#include <nghttp2/nghttp2.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "http/h2/header_block.h"
#include "http/h2/session_settings.h"
#include "http/header_map.h"

namespace bulwark::http::h2 {

using Clock = std::chrono::steady_clock;

namespace detail {

// A stream's body waiting to go out, and its trailers.
struct OutboundBody {
  std::string bytes;
  std::size_t head = 0;  // bytes before it were sent
  bool end = false;      // the owner queued the last byte
  bool provider = false;  // HEADERS went out with a data provider reading this queue
  bool deferred = false;  // the provider told nghttp2 to wait (queue empty, end not reached)
  bool full = false;      // reached send_low_water since on_window_open was last due
  std::vector<std::pair<std::string, std::string>> trailers;  // lower-cased, filtered

  [[nodiscard]] std::size_t size() const noexcept { return bytes.size() - head; }
  void clear() noexcept;
};

struct StreamCommon {
  std::int32_t id = 0;
  OutboundBody out;
  std::uint64_t unconsumed = 0;  // DATA bytes handed to the owner that it has not consumed yet
  std::optional<Clock::time_point> stalled_since;
  std::size_t active_index = 0;  // in SessionCore::active_
};

class SessionCore {
 public:
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // Bytes for the peer: frames nghttp2 has ready, up to a batch. The span stays valid until
  // output_sent(); call output_sent with what was written, then output() again while
  // want_write().
  std::span<const char> output();
  void output_sent(std::size_t n) noexcept;
  // False once the session has ended (GOAWAY exchanged and no stream left, or a fatal error):
  // flush output() and close.
  [[nodiscard]] bool want_read() const noexcept;
  [[nodiscard]] bool want_write() const noexcept;

  // Queues body bytes (copied) for a stream whose HEADERS went out without END_STREAM; `end`
  // ends the stream after them (or before the trailers, when there are some).
  core::Result<void> send_data(std::int32_t stream_id, std::span<const char> data, bool end);
  // Trailers end the stream once the queued body has gone (RFC 9113 §8.1).
  core::Result<void> submit_trailers(std::int32_t stream_id, const HeaderMap& trailers);
  void reset_stream(std::int32_t stream_id, std::uint32_t error_code);
  // The owner forwarded `n` bytes of a stream's DATA: reopen the peer's windows by as much
  // (WINDOW_UPDATE), so a slow reader slows the sender. Unknown or closed streams are ignored.
  void consume(std::int32_t stream_id, std::size_t n);
  // Body bytes queued for the stream and not yet sent (for backpressure).
  [[nodiscard]] std::size_t queued_bytes(std::int32_t stream_id) const noexcept;
  // Since when the stream has had body queued while the peer's window (stream or connection)
  // was closed, as last seen by check_stalls(); empty when not stalled.
  [[nodiscard]] std::optional<Clock::time_point> stalled_since(std::int32_t stream_id) const noexcept;
  // Notes which streams are stalled at `now` and resets (CANCEL) those stalled for
  // stall_timeout or longer; returns how many were reset. Call it from a timer.
  std::size_t check_stalls(Clock::time_point now);

 protected:
  explicit SessionCore(const SessionSettings& settings);
  virtual ~SessionCore();

  // nghttp2_session_callbacks shared by both sides; the rest is the derived class's.
  static void set_common_callbacks(nghttp2_session_callbacks* callbacks);
  static void set_common_options(nghttp2_option* option, const SessionSettings& settings);
  void submit_local_settings(std::span<const nghttp2_settings_entry> entries);

  [[nodiscard]] StreamCommon* find(std::int32_t stream_id) const noexcept;
  void track(StreamCommon& stream);
  // Returns the connection window of DATA the owner never consumed; drops the stream's queue.
  void untrack(StreamCommon& stream);
  nghttp2_data_provider provider_for(StreamCommon& stream) noexcept;
  virtual void window_open(std::int32_t stream_id) = 0;

  // Ends the session with GOAWAY(`error_code`) from inside a callback; the callback returns
  // NGHTTP2_ERR_CALLBACK_FAILURE so that the feed stops and reports `why`.
  int fail_session(std::uint32_t error_code, std::string_view why);
  // After nghttp2_session_mem_recv returned `rv` < 0.
  core::Error receive_error(ssize_t rv);

  nghttp2_session* session_ = nullptr;
  SessionSettings settings_;
  HeaderBlock block_;
  std::vector<StreamCommon*> active_;
  std::string_view failure_;  // why the session failed, when it did
  bool failed_ = false;

 private:
  static ssize_t read_body(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                        std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                        void* user_data);
  static ssize_t read_length(nghttp2_session* session, std::uint8_t frame_type,
                          std::int32_t stream_id, std::int32_t session_window,
                          std::int32_t stream_window, std::uint32_t peer_max_frame,
                          void* user_data);

  std::string output_;
  bool send_failed_ = false;
  std::vector<std::int32_t> opened_;  // streams whose queue fell below send_low_water
};

}  // namespace detail
}  // namespace bulwark::http::h2
