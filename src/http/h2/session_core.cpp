#include "http/h2/session_core.h"

#include <algorithm>
#include <cstring>

namespace bulwark::http::h2::detail {
namespace {

using core::ErrorKind;
using core::fail;

// One output() batch: enough frames for a large write, bounded so a fast producer cannot make
// the buffer grow without end.
constexpr std::size_t kOutputBatch = std::size_t{64} * 1024;
// An idle connection keeps no larger output buffer than this (DESIGN.md §2: idle is cheap).
constexpr std::size_t kOutputKeep = std::size_t{16} * 1024;

}  // namespace

void OutboundBody::clear() noexcept {
  bytes.clear();
  head = 0;
  end = false;
  provider = false;
  deferred = false;
  full = false;
  trailers.clear();
}

SessionCore::SessionCore(const SessionSettings& settings) : settings_(settings) {}

SessionCore::~SessionCore() {
  nghttp2_session_del(session_);
}

void SessionCore::set_common_callbacks(nghttp2_session_callbacks* callbacks) {
  nghttp2_session_callbacks_set_data_source_read_length_callback(callbacks, &read_length);
}

void SessionCore::set_common_options(nghttp2_option* option, const SessionSettings& settings) {
  // WINDOW_UPDATE follows consume(): the owner's forwarding, not our reading, opens windows.
  nghttp2_option_set_no_auto_window_update(option, 1);
  // HPACK: our encoder's table stays small whatever table size the peer offers.
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
  nghttp2_option_set_max_send_header_block_length(option, std::max<std::size_t>(
                                                              settings.max_header_bytes * 2,
                                                              std::size_t{64} * 1024));
  nghttp2_option_set_no_closed_streams(option, 1);
}

void SessionCore::submit_local_settings(std::span<const nghttp2_settings_entry> entries) {
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
  // RFC 9113 §6.9.2: the connection window starts at 65,535 whatever SETTINGS say.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(settings_.connection_window));
}

std::span<const char> SessionCore::output() {
  // Even a failed session sends what it has: its last frame is the GOAWAY saying why.
  while (!send_failed_ && output_.size() < kOutputBatch) {
    const std::uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      send_failed_ = true;
      if (!failed_) failure_ = "HTTP/2 session failed while sending";
      failed_ = true;
      break;
    }
    if (n == 0) break;
    output_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  // Told after the loop: the owner may queue more from on_window_open, which resumes a stream.
  std::vector<std::int32_t> opened;
  opened.swap(opened_);
  for (const std::int32_t id : opened) {
    window_open(id);
  }
  opened.clear();
  if (opened_.empty()) opened_.swap(opened);  // keeps the capacity
  return output_;
}

void SessionCore::output_sent(std::size_t n) noexcept {
  if (n >= output_.size()) {
    output_.clear();
    if (output_.capacity() > kOutputKeep) std::string().swap(output_);
    return;
  }
  output_.erase(0, n);
}

bool SessionCore::want_read() const noexcept {
  return !failed_ && nghttp2_session_want_read(session_) != 0;
}

bool SessionCore::want_write() const noexcept {
  return !output_.empty() || (!send_failed_ && nghttp2_session_want_write(session_) != 0);
}

StreamCommon* SessionCore::find(std::int32_t stream_id) const noexcept {
  if (auto* stream = static_cast<StreamCommon*>(
          nghttp2_session_get_stream_user_data(session_, stream_id))) {
    return stream;
  }
  // A client's stream exists in nghttp2 only once its HEADERS went out; until then the owner may
  // already queue its body.
  const auto it = std::ranges::find(active_, stream_id, &StreamCommon::id);
  return it == active_.end() ? nullptr : *it;
}

void SessionCore::track(StreamCommon& stream) {
  stream.active_index = active_.size();
  active_.push_back(&stream);
}

void SessionCore::untrack(StreamCommon& stream) {
  StreamCommon* last = active_.back();
  last->active_index = stream.active_index;
  active_[stream.active_index] = last;
  active_.pop_back();
  // The stream is gone, so only the connection window still counts what the owner never
  // forwarded; without this every abandoned body would shrink it for good.
  if (stream.unconsumed > 0) {
    nghttp2_session_consume_connection(session_, stream.unconsumed);
    stream.unconsumed = 0;
  }
  stream.stalled_since.reset();
  stream.out.clear();
  if (stream.out.bytes.capacity() > settings_.send_low_water * 4) {
    std::string().swap(stream.out.bytes);
  }
}

nghttp2_data_provider SessionCore::provider_for(StreamCommon& stream) noexcept {
  stream.out.provider = true;
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = &read_body;
  return provider;
}

core::Result<void> SessionCore::send_data(std::int32_t stream_id, std::span<const char> data,
                                          bool end) {
  StreamCommon* stream = find(stream_id);
  if (stream == nullptr) return fail(ErrorKind::kDownstreamClosed, "HTTP/2 stream is closed");
  OutboundBody& out = stream->out;
  if (!out.provider || out.end) {
    return fail(ErrorKind::kInternal, "HTTP/2 stream takes no more body");
  }
  if (out.head > 0 && out.head >= out.bytes.size() / 2) {
    out.bytes.erase(0, out.head);
    out.head = 0;
  }
  out.bytes.append(data.data(), data.size());
  out.end = end;
  if (out.size() >= settings_.send_low_water) out.full = true;
  if (out.deferred) {
    out.deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
  return {};
}

core::Result<void> SessionCore::submit_trailers(std::int32_t stream_id, const HeaderMap& trailers) {
  StreamCommon* stream = find(stream_id);
  if (stream == nullptr) return fail(ErrorKind::kDownstreamClosed, "HTTP/2 stream is closed");
  OutboundBody& out = stream->out;
  if (!out.provider || out.end) {
    return fail(ErrorKind::kInternal, "HTTP/2 stream takes no trailers");
  }
  // They go out from read_body once the queue has drained, so they are copied now.
  block_.clear();
  block_.add_fields(trailers, HeaderBlock::Kind::kTrailers);
  const nghttp2_nv* nva = block_.data();
  out.trailers.clear();
  for (std::size_t i = 0; i < block_.size(); ++i) {
    out.trailers.emplace_back(
        std::string(reinterpret_cast<const char*>(nva[i].name), nva[i].namelen),
        std::string(reinterpret_cast<const char*>(nva[i].value), nva[i].valuelen));
  }
  out.end = true;
  if (out.deferred) {
    out.deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
  return {};
}

void SessionCore::reset_stream(std::int32_t stream_id, std::uint32_t error_code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, error_code);
}

void SessionCore::consume(std::int32_t stream_id, std::size_t n) {
  StreamCommon* stream = find(stream_id);
  if (stream == nullptr) return;
  n = std::min<std::uint64_t>(n, stream->unconsumed);
  if (n == 0) return;
  stream->unconsumed -= n;
  nghttp2_session_consume(session_, stream_id, n);
}

std::size_t SessionCore::queued_bytes(std::int32_t stream_id) const noexcept {
  const StreamCommon* stream = find(stream_id);
  return stream == nullptr ? 0 : stream->out.size();
}

std::optional<Clock::time_point> SessionCore::stalled_since(std::int32_t stream_id) const noexcept {
  const StreamCommon* stream = find(stream_id);
  return stream == nullptr ? std::nullopt : stream->stalled_since;
}

std::size_t SessionCore::check_stalls(Clock::time_point now) {
  const std::int32_t connection_window = nghttp2_session_get_remote_window_size(session_);
  std::size_t reset = 0;
  for (StreamCommon* stream : active_) {
    const bool blocked =
        stream->out.size() > 0 &&
        (connection_window <= 0 ||
         nghttp2_session_get_stream_remote_window_size(session_, stream->id) <= 0);
    if (!blocked) {
      stream->stalled_since.reset();
      continue;
    }
    if (!stream->stalled_since) {
      stream->stalled_since = now;
    } else if (now - *stream->stalled_since >= settings_.stall_timeout) {
      // Reset once: the stream stays in active_ until nghttp2 closes it.
      stream->stalled_since = Clock::time_point::max();
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_CANCEL);
      ++reset;
    }
  }
  return reset;
}

int SessionCore::fail_session(std::uint32_t error_code, std::string_view why) {
  if (!failed_) {
    failed_ = true;
    failure_ = why;
    nghttp2_session_terminate_session(session_, error_code);
  }
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

core::Error SessionCore::receive_error(ssize_t rv) {
  if (failed_ && rv == NGHTTP2_ERR_CALLBACK_FAILURE) {
    return core::Error{ErrorKind::kBadRequest, failure_};
  }
  std::string_view why = "HTTP/2 protocol error";
  std::uint32_t code = NGHTTP2_PROTOCOL_ERROR;
  switch (rv) {
    case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
      why = "not an HTTP/2 connection preface";
      break;
    case NGHTTP2_ERR_FLOODED:
      why = "HTTP/2 flood (too many queued SETTINGS or PING acknowledgements)";
      code = NGHTTP2_ENHANCE_YOUR_CALM;
      break;
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
      why = "HTTP/2 CONTINUATION flood";
      code = NGHTTP2_ENHANCE_YOUR_CALM;
      break;
    case NGHTTP2_ERR_NOMEM:
      why = "out of memory in HTTP/2 session";
      code = NGHTTP2_INTERNAL_ERROR;
      break;
    default:
      break;
  }
  if (!failed_) {
    failed_ = true;
    failure_ = why;
    // Best effort: the peer learns why before the connection closes.
    nghttp2_session_terminate_session(session_, code);
  }
  return core::Error{ErrorKind::kBadRequest, failure_};
}

ssize_t SessionCore::read_body(nghttp2_session* session, std::int32_t stream_id,
                               std::uint8_t* buf, std::size_t length, std::uint32_t* flags,
                               nghttp2_data_source* source, void* user_data) {
  auto* self = static_cast<SessionCore*>(user_data);
  auto* stream = static_cast<StreamCommon*>(source->ptr);
  OutboundBody& out = stream->out;
  const std::size_t n = std::min(length, out.size());
  if (n == 0 && !out.end) {
    out.deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  std::memcpy(buf, out.bytes.data() + out.head, n);
  out.head += n;
  if (out.size() == 0) {
    out.bytes.clear();
    out.head = 0;
  }
  if (out.full && out.size() < self->settings_.send_low_water) {
    out.full = false;
    self->opened_.push_back(stream_id);
  }
  if (out.size() == 0 && out.end) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!out.trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> nva;
      nva.reserve(out.trailers.size());
      for (auto& [name, value] : out.trailers) {
        nva.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(name.data()),
                                 reinterpret_cast<std::uint8_t*>(value.data()), name.size(),
                                 value.size(), NGHTTP2_NV_FLAG_NONE});
      }
      nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size());
      out.trailers.clear();
    }
  }
  return static_cast<ssize_t>(n);
}

ssize_t SessionCore::read_length(nghttp2_session* /*session*/, std::uint8_t /*frame_type*/,
                                 std::int32_t /*stream_id*/, std::int32_t session_window,
                                 std::int32_t stream_window, std::uint32_t peer_max_frame,
                                 void* user_data) {
  const auto* self = static_cast<const SessionCore*>(user_data);
  const std::int64_t window = std::min(session_window, stream_window);
  const std::int64_t frame =
      std::min<std::int64_t>(peer_max_frame, self->settings_.max_frame_size);
  return static_cast<ssize_t>(std::max<std::int64_t>(1, std::min(window, frame)));
}

}  // namespace bulwark::http::h2::detail
