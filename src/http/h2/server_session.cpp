#include "http/h2/server_session.h"

#include <algorithm>
#include <array>

#include "http/h1/field_parser.h"

namespace bulwark::http::h2 {
namespace {

using core::ErrorKind;
using core::fail;
namespace h1d = h1::detail;

std::string_view view(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

// RFC 9113 §8.2.3: cookie-pairs sent as separate fields become one field again, joined with
// "; ", for HTTP/1.1 hops and for filters that read one Cookie value.
void join_cookies(HeaderMap& headers, core::Arena& arena) {
  if (headers.count("cookie") < 2) return;
  std::size_t size = 0;
  for (const HeaderField& field : headers) {
    if (field.name == "cookie") size += field.value.size() + 2;
  }
  auto* out = static_cast<char*>(arena.allocate(size - 2, 1));
  std::size_t at = 0;
  for (const HeaderField& field : headers) {
    if (field.name != "cookie") continue;
    if (at > 0) {
      out[at++] = ';';
      out[at++] = ' ';
    }
    std::ranges::copy(field.value, out + at);
    at += field.value.size();
  }
  headers.set("cookie", std::string_view(out, at));
}

}  // namespace

struct ServerSession::Stream : detail::StreamCommon {
  core::Arena* arena = nullptr;
  // Built in the arena and never destroyed: every byte they hold is the arena's, which the
  // owner releases at once, so no destructor has to run (and none touches a freed arena).
  RequestHead* head = nullptr;
  HeaderMap* trailers = nullptr;
  std::string_view method;
  std::string_view scheme;
  std::string_view authority;
  std::string_view path;
  std::string_view protocol;
  std::size_t header_bytes = 0;
  std::size_t header_count = 0;
  bool oversized = false;  // the current header section went over the limits
  bool delivered = false;  // on_request was called

  void reset_request_state() noexcept {
    arena = nullptr;
    head = nullptr;
    trailers = nullptr;
    method = scheme = authority = path = protocol = {};
    header_bytes = header_count = 0;
    oversized = delivered = false;
  }
};

namespace {

ServerSession* self_of(void* user_data) noexcept {
  return static_cast<ServerSession*>(static_cast<detail::SessionCore*>(user_data));
}

}  // namespace

ServerSession::ServerSession(const SessionSettings& settings, ServerHandler& handler)
    : SessionCore(settings), handler_(handler) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  set_common_callbacks(callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &begin_frame_cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &stream_close_cb);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, &invalid_frame_cb);

  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  set_common_options(option, settings);
  // nghttp2's own rapid-reset limiter (Debian's CVE-2023-44487 patch) stays as a backstop,
  // looser than ours so that ours, which is counted and configured, acts first.
  const std::uint64_t resets = std::max<std::uint64_t>(settings.max_resets_per_second, 1);
  nghttp2_option_set_stream_reset_rate_limit(option, std::max<std::uint64_t>(resets * 2, 1000),
                                             resets);
  // CVE-2024-28182: a header section may not be spread over more CONTINUATION frames.
  nghttp2_option_set_max_continuations(option, 8);
  nghttp2_option_set_max_settings(option, 32);
  nghttp2_option_set_max_outbound_ack(option, 1000);

  nghttp2_session_server_new2(&session_, callbacks, static_cast<detail::SessionCore*>(this),
                              option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  const std::array<nghttp2_settings_entry, 5> entries{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(settings.max_header_bytes)},
      // RFC 8441: WebSocket over HTTP/2 with extended CONNECT.
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  }};
  submit_local_settings(entries);
}

ServerSession::~ServerSession() = default;

core::Result<void> ServerSession::feed(std::span<const char> bytes) {
  if (failed_) return fail(ErrorKind::kBadRequest, failure_);
  const ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    if (!failed_) ++stats_.library_goaways;
    return std::unexpected(receive_error(rv));
  }
  return {};
}

core::Result<void> ServerSession::submit_response(std::int32_t stream_id, const ResponseHead& head,
                                                  bool end_stream) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr) return fail(ErrorKind::kDownstreamClosed, "HTTP/2 stream is closed");
  block_.clear();
  block_.add_status(head.status);
  block_.add_fields(head.headers, HeaderBlock::Kind::kResponse);
  nghttp2_data_provider provider{};
  if (!end_stream) provider = provider_for(*stream);
  const int rv = nghttp2_submit_response(session_, stream_id, block_.data(), block_.size(),
                                         end_stream ? nullptr : &provider);
  if (rv != 0) return fail(ErrorKind::kInternal, "HTTP/2 response not accepted");
  return {};
}

core::Result<void> ServerSession::submit_informational(std::int32_t stream_id,
                                                       const ResponseHead& head) {
  if (head.status < 100 || head.status > 199 || head.status == 101) {
    return fail(ErrorKind::kInternal, "not an HTTP/2 informational status");
  }
  if (find(stream_id) == nullptr) {
    return fail(ErrorKind::kDownstreamClosed, "HTTP/2 stream is closed");
  }
  block_.clear();
  block_.add_status(head.status);
  block_.add_fields(head.headers, HeaderBlock::Kind::kResponse);
  const int rv = nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream_id, nullptr,
                                        block_.data(), block_.size(), nullptr);
  if (rv < 0) return fail(ErrorKind::kInternal, "HTTP/2 informational response not accepted");
  return {};
}

void ServerSession::goaway(bool graceful) {
  if (!graceful) {
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    return;
  }
  if (shutdown_ping_sent_) return;
  // The PING's answer proves the client has seen the first GOAWAY, so no stream it opened
  // before is still on its way when the final one names the last stream we processed.
  nghttp2_submit_shutdown_notice(session_);
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  shutdown_ping_sent_ = true;
}

std::size_t ServerSession::check_stalls(Clock::time_point now) {
  const std::size_t reset = SessionCore::check_stalls(now);
  stats_.stalled_resets += reset;
  return reset;
}

void ServerSession::window_open(std::int32_t stream_id) {
  handler_.on_window_open(stream_id);
}

ServerSession::Stream* ServerSession::acquire(std::int32_t stream_id) {
  Stream* stream = nullptr;
  if (free_.empty()) {
    streams_.push_back(std::make_unique<Stream>());
    stream = streams_.back().get();
  } else {
    stream = free_.back();
    free_.pop_back();
  }
  stream->id = stream_id;
  track(*stream);
  return stream;
}

void ServerSession::release(Stream& stream) {
  untrack(stream);
  stream.reset_request_state();
  free_.push_back(&stream);
}

int ServerSession::on_begin_headers(const nghttp2_frame& frame) {
  const std::int32_t id = frame.hd.stream_id;
  if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    Stream* stream = acquire(id);
    stream->arena = &handler_.stream_arena(id);
    stream->head = stream->arena->make<RequestHead>(stream->arena->resource());
    nghttp2_session_set_stream_user_data(session_, id, stream);
    return 0;
  }
  if (auto* stream = static_cast<Stream*>(find(id)); stream != nullptr && stream->delivered) {
    stream->trailers = stream->arena->make<HeaderMap>(stream->arena->resource());
    stream->header_bytes = stream->header_count = 0;
  }
  return 0;
}

int ServerSession::on_header(const nghttp2_frame& frame, std::string_view name,
                             std::string_view value) {
  auto* stream = static_cast<Stream*>(find(frame.hd.stream_id));
  if (stream == nullptr || stream->oversized) return 0;
  stream->header_bytes += name.size() + value.size() + 4;
  ++stream->header_count;
  // Decoding goes on (HPACK state is per connection) but nothing more is kept: a small block
  // that expands into a huge header section costs no memory (HPACK bomb).
  if (stream->header_bytes > settings_.max_header_bytes ||
      stream->header_count > settings_.max_header_count) {
    stream->oversized = true;
    ++stats_.oversized_headers;
    return 0;
  }
  core::Arena& arena = *stream->arena;
  if (frame.headers.cat != NGHTTP2_HCAT_REQUEST) {
    if (stream->trailers != nullptr) stream->trailers->add(arena.copy(name), arena.copy(value));
    return 0;
  }
  // nghttp2 has checked the pseudo-headers: known names, once each, before the regular fields.
  if (name.front() == ':') {
    const std::string_view copy = arena.copy(value);
    if (name == ":method") {
      stream->method = copy;
    } else if (name == ":path") {
      stream->path = copy;
    } else if (name == ":authority") {
      stream->authority = copy;
    } else if (name == ":scheme") {
      stream->scheme = copy;
    } else if (name == ":protocol") {
      stream->protocol = copy;
    }
    return 0;
  }
  stream->head->headers.add(arena.copy(name), arena.copy(value));
  return 0;
}

int ServerSession::on_frame_recv(const nghttp2_frame& frame) {
  const std::int32_t id = frame.hd.stream_id;
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS: {
      auto* stream = static_cast<Stream*>(find(id));
      if (stream == nullptr) return 0;
      if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        finish_request(*stream, end_stream);
      } else if (stream->delivered && stream->trailers != nullptr) {
        if (stream->oversized) {
          reset_stream(id, NGHTTP2_ENHANCE_YOUR_CALM);
        } else {
          handler_.on_request_trailers(id, std::move(*stream->trailers));
        }
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      // Empty DATA without END_STREAM carries nothing and costs a wake-up each (CVE-2019-9518).
      if (frame.hd.length == 0 && !end_stream &&
          empty_data_.exceeded(Clock::now(), settings_.max_control_frames_per_second)) {
        ++stats_.empty_data_flood_goaways;
        return fail_session(NGHTTP2_ENHANCE_YOUR_CALM, "HTTP/2 empty DATA frame flood");
      }
      auto* stream = static_cast<Stream*>(find(id));
      if (stream != nullptr && stream->delivered && end_stream) {
        handler_.on_request_data(id, {}, true);
      }
      return 0;
    }
    case NGHTTP2_RST_STREAM:
      ++stats_.resets_received;
      // CVE-2023-44487: opening and cancelling streams costs the client nothing.
      if (resets_.exceeded(Clock::now(), settings_.max_resets_per_second)) {
        ++stats_.rapid_reset_goaways;
        return fail_session(NGHTTP2_ENHANCE_YOUR_CALM, "HTTP/2 rapid reset");
      }
      return 0;
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 && shutdown_ping_sent_) {
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_),
                              NGHTTP2_NO_ERROR, nullptr, 0);
      }
      return 0;
    default:
      return 0;
  }
}

int ServerSession::on_begin_frame(const nghttp2_frame_hd& hd) {
  // Counted as their headers arrive, so that frames nghttp2 ignores count too (PRIORITY with
  // RFC 7540 priorities off, unknown extension types). CVE-2019-9512/9515/9516: each costs a
  // reply or work, and a client has no use for many.
  const bool ack = (hd.flags & NGHTTP2_FLAG_ACK) != 0;
  const bool control = ((hd.type == NGHTTP2_SETTINGS || hd.type == NGHTTP2_PING) && !ack) ||
                       hd.type == NGHTTP2_PRIORITY || hd.type > NGHTTP2_CONTINUATION;
  if (control && control_frames_.exceeded(Clock::now(), settings_.max_control_frames_per_second)) {
    ++stats_.control_flood_goaways;
    return fail_session(NGHTTP2_ENHANCE_YOUR_CALM, "HTTP/2 control frame flood");
  }
  return 0;
}

void ServerSession::finish_request(Stream& stream, bool end_stream) {
  if (stream.oversized) {
    refuse(stream, 431);
    return;
  }
  RequestHead& head = *stream.head;
  const auto malformed = [&] {
    ++stats_.malformed_requests;
    reset_stream(stream.id, NGHTTP2_PROTOCOL_ERROR);
  };
  head.method_token = stream.method;
  head.method = method_from_token(stream.method);
  if (stream.method.empty() || !std::ranges::all_of(stream.method, h1d::is_tchar)) {
    return malformed();
  }
  head.scheme = {};
  head.authority = {};
  if (head.method == Method::kConnect && stream.protocol.empty()) {
    // RFC 9113 §8.5: only :authority, which is the target.
    if (!h1d::is_valid_host(stream.authority)) return malformed();
    head.target = head.path = stream.authority;
    head.target_form = TargetForm::kAuthority;
  } else {
    if (stream.path == "*" && head.method == Method::kOptions) {
      head.target_form = TargetForm::kAsterisk;
    } else if (!stream.path.empty() && stream.path.front() == '/') {
      head.target_form = TargetForm::kOrigin;
    } else {
      return malformed();
    }
    head.target = head.path = stream.path;
  }
  // RFC 9113 §8.3.1: :authority, else Host; when both are there and differ, :authority wins.
  // Either way the head ends with exactly one Host, as the HTTP/1.1 parser leaves it.
  const std::size_t hosts = head.headers.count("host");
  if (!stream.authority.empty()) {
    if (!h1d::is_valid_host(stream.authority)) return malformed();
    head.headers.set("host", stream.authority);
  } else if (hosts != 1 || !h1d::is_valid_host(head.headers.get("host")) ||
             head.headers.get("host").empty()) {
    return malformed();
  }
  join_cookies(head.headers, *stream.arena);
  auto length = h1d::parse_content_length(head.headers);
  if (!length) return malformed();
  head.content_length = length->present ? length->value : 0;
  if (length->present) {
    head.framing = BodyFraming::kContentLength;
  } else {
    // No chunked coding in HTTP/2, but the same meaning: the body ends with the stream.
    head.framing = end_stream ? BodyFraming::kNone : BodyFraming::kChunked;
  }
  if (end_stream && length->present && length->value != 0) return malformed();
  head.expect_continue = iequals(head.headers.get("expect"), "100-continue");
  head.protocol = stream.protocol;
  head.upgrade = !stream.protocol.empty();
  head.http2 = true;
  head.version_minor = 1;
  head.keep_alive = true;
  stream.delivered = true;
  ++stats_.requests;
  handler_.on_request(stream.id, std::move(head), end_stream);
}

void ServerSession::refuse(Stream& stream, std::uint16_t status) {
  block_.clear();
  block_.add_status(status);
  block_.add("content-length", "0");
  nghttp2_submit_response(session_, stream.id, block_.data(), block_.size(), nullptr);
}

int ServerSession::on_data_chunk(std::int32_t stream_id, std::span<const char> data) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr || !stream->delivered) {
    // Nobody forwards it: the windows reopen now.
    nghttp2_session_consume(session_, stream_id, data.size());
    return 0;
  }
  stream->unconsumed += data.size();
  handler_.on_request_data(stream_id, data, false);
  return 0;
}

int ServerSession::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr) return 0;
  const bool delivered = stream->delivered;
  const bool had_arena = stream->arena != nullptr;
  nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
  release(*stream);
  if (delivered && error_code != NGHTTP2_NO_ERROR) handler_.on_stream_reset(stream_id, error_code);
  if (had_arena) handler_.on_stream_closed(stream_id);
  return 0;
}

int ServerSession::begin_frame_cb(nghttp2_session* /*session*/, const nghttp2_frame_hd* hd,
                                  void* user_data) {
  return self_of(user_data)->on_begin_frame(*hd);
}

int ServerSession::begin_headers_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                    void* user_data) {
  return self_of(user_data)->on_begin_headers(*frame);
}

int ServerSession::header_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                             const std::uint8_t* name, std::size_t namelen,
                             const std::uint8_t* value, std::size_t valuelen,
                             std::uint8_t /*flags*/, void* user_data) {
  return self_of(user_data)->on_header(*frame, view(name, namelen), view(value, valuelen));
}

int ServerSession::frame_recv_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                 void* user_data) {
  return self_of(user_data)->on_frame_recv(*frame);
}

int ServerSession::data_chunk_cb(nghttp2_session* /*session*/, std::uint8_t /*flags*/,
                                 std::int32_t stream_id, const std::uint8_t* data,
                                 std::size_t len, void* user_data) {
  return self_of(user_data)->on_data_chunk(
      stream_id, std::span<const char>(reinterpret_cast<const char*>(data), len));
}

int ServerSession::stream_close_cb(nghttp2_session* /*session*/, std::int32_t stream_id,
                                   std::uint32_t error_code, void* user_data) {
  return self_of(user_data)->on_stream_close(stream_id, error_code);
}

int ServerSession::invalid_frame_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                    int lib_error_code, void* user_data) {
  // nghttp2's HTTP messaging checks (RFC 9113 §8.1.1, §8.2): it resets the stream itself.
  if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
    if (lib_error_code == NGHTTP2_ERR_HTTP_HEADER || lib_error_code == NGHTTP2_ERR_HTTP_MESSAGING) {
      ++self_of(user_data)->stats_.malformed_requests;
    }
  }
  return 0;
}

}  // namespace bulwark::http::h2
