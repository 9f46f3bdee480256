#include "http/h2/client_session.h"

#include <array>

#include "http/h1/field_parser.h"

namespace bulwark::http::h2 {
namespace {

using core::ErrorKind;
using core::fail;

std::string_view view(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

ClientSession* self_of(void* user_data) noexcept {
  return static_cast<ClientSession*>(static_cast<detail::SessionCore*>(user_data));
}

}  // namespace

struct ClientSession::Stream : detail::StreamCommon {
  core::Arena* arena = nullptr;
  // In the arena and never destroyed (see ServerSession::Stream).
  ResponseHead* head = nullptr;
  HeaderMap* trailers = nullptr;
  std::size_t header_bytes = 0;
  std::size_t header_count = 0;
  bool oversized = false;
  bool bad_status = false;
  bool final_seen = false;                 // on_response was called
  std::uint32_t error = NGHTTP2_NO_ERROR;  // why we reset it, reported even if it ended first
};

ClientSession::ClientSession(const SessionSettings& settings, ClientHandler& handler)
    : SessionCore(settings), handler_(handler) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  set_common_callbacks(callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &stream_close_cb);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  set_common_options(option, settings);
  nghttp2_session_client_new2(&session_, callbacks, static_cast<detail::SessionCore*>(this),
                              option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  const std::array<nghttp2_settings_entry, 4> entries{{
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(settings.max_header_bytes)},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  }};
  submit_local_settings(entries);
}

ClientSession::~ClientSession() = default;

core::Result<void> ClientSession::feed(std::span<const char> bytes) {
  if (failed_) return fail(ErrorKind::kUpstreamProtocol, failure_);
  const ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    core::Error error = receive_error(rv);
    error.kind = ErrorKind::kUpstreamProtocol;
    return std::unexpected(error);
  }
  return {};
}

core::Result<std::int32_t> ClientSession::submit_request(const RequestHead& head,
                                                         std::string_view authority,
                                                         std::string_view scheme, bool end_stream,
                                                         core::Arena& arena) {
  if (authority.empty()) authority = head.headers.get("host");
  block_.clear();
  block_.add(":method", head.method_token);
  if (head.method == Method::kConnect && head.protocol.empty()) {
    block_.add(":authority", head.target);
  } else {
    block_.add(":scheme", scheme);
    block_.add(":authority", authority);
    block_.add(":path",
               head.target_form == TargetForm::kAsterisk ? std::string_view("*") : head.path);
    if (!head.protocol.empty()) block_.add(":protocol", head.protocol);
  }
  block_.add_fields(head.headers, HeaderBlock::Kind::kRequest);
  if (head.te_trailers && !head.headers.has("te")) block_.add("te", "trailers");

  Stream* stream = nullptr;
  if (free_.empty()) {
    streams_.push_back(std::make_unique<Stream>());
    stream = streams_.back().get();
  } else {
    stream = free_.back();
    free_.pop_back();
  }
  stream->arena = &arena;
  nghttp2_data_provider provider{};
  if (!end_stream) provider = provider_for(*stream);
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, block_.data(), block_.size(),
                                                 end_stream ? nullptr : &provider, stream);
  if (id < 0) {
    stream->out.clear();
    stream->arena = nullptr;
    free_.push_back(stream);
    return fail(ErrorKind::kUpstreamConnectFailed, "no HTTP/2 stream available on connection",
                true);
  }
  stream->id = id;
  track(*stream);
  return id;
}

void ClientSession::abandon(std::int32_t stream_id) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr || stream->arena == nullptr) return;
  stream->arena = nullptr;
  stream->head = nullptr;
  stream->trailers = nullptr;
  stream->error = NGHTTP2_CANCEL;
  reset_stream(stream_id, NGHTTP2_CANCEL);
}

void ClientSession::ping() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
}

void ClientSession::goaway() {
  goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
}

std::uint32_t ClientSession::max_streams() const noexcept {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool ClientSession::has_capacity() const noexcept {
  return !goaway_ && !failed_ && active_.size() < max_streams() &&
         nghttp2_session_check_request_allowed(session_) != 0;
}

void ClientSession::window_open(std::int32_t stream_id) {
  handler_.on_window_open(stream_id);
}

void ClientSession::release(Stream& stream) {
  untrack(stream);
  stream.arena = nullptr;
  stream.head = nullptr;
  stream.trailers = nullptr;
  stream.header_bytes = stream.header_count = 0;
  stream.oversized = stream.bad_status = stream.final_seen = false;
  stream.error = NGHTTP2_NO_ERROR;
  free_.push_back(&stream);
}

int ClientSession::on_begin_headers(const nghttp2_frame& frame) {
  auto* stream = static_cast<Stream*>(find(frame.hd.stream_id));
  if (stream == nullptr || stream->arena == nullptr) return 0;
  stream->header_bytes = stream->header_count = 0;
  if (!stream->final_seen) {
    stream->head = stream->arena->make<ResponseHead>(stream->arena->resource());
  } else {
    stream->trailers = stream->arena->make<HeaderMap>(stream->arena->resource());
  }
  return 0;
}

int ClientSession::on_header(const nghttp2_frame& frame, std::string_view name,
                             std::string_view value) {
  auto* stream = static_cast<Stream*>(find(frame.hd.stream_id));
  if (stream == nullptr || stream->arena == nullptr || stream->oversized) return 0;
  stream->header_bytes += name.size() + value.size() + 4;
  if (stream->header_bytes > settings_.max_header_bytes ||
      ++stream->header_count > settings_.max_header_count) {
    stream->oversized = true;
    return 0;
  }
  core::Arena& arena = *stream->arena;
  if (stream->final_seen) {
    if (stream->trailers != nullptr) stream->trailers->add(arena.copy(name), arena.copy(value));
    return 0;
  }
  if (name == ":status") {
    // nghttp2 checked it is three digits.
    std::uint16_t status = 0;
    for (const char c : value) {
      status = static_cast<std::uint16_t>(status * 10 + (c - '0'));
    }
    stream->head->status = status;
    stream->bad_status = value.size() != 3 || status == 101;
    return 0;
  }
  stream->head->headers.add(arena.copy(name), arena.copy(value));
  return 0;
}

void ClientSession::finish_head(Stream& stream, bool end_stream) {
  if (stream.oversized || stream.bad_status) {
    stream.error = NGHTTP2_PROTOCOL_ERROR;
    reset_stream(stream.id, NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  ResponseHead& head = *stream.head;
  if (head.status < 200) {
    handler_.on_informational(stream.id, std::move(head));
    return;
  }
  auto length = h1::detail::parse_content_length(head.headers);
  if (!length) {
    stream.error = NGHTTP2_PROTOCOL_ERROR;
    reset_stream(stream.id, NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  head.content_length = length->present ? length->value : 0;
  if (length->present) {
    head.framing = BodyFraming::kContentLength;
  } else if (!end_stream) {
    head.framing = BodyFraming::kChunked;  // DATA frames until END_STREAM
  } else {
    // The head ended the stream: an empty body, which an HTTP/1.1 client must be told of
    // (Content-Length: 0) unless the status has none at all.
    const bool bodyless = head.status == 204 || head.status == 304;
    head.framing = bodyless ? BodyFraming::kNone : BodyFraming::kContentLength;
  }
  head.keep_alive = true;
  stream.final_seen = true;
  handler_.on_response(stream.id, std::move(head), end_stream);
}

int ClientSession::on_frame_recv(const nghttp2_frame& frame) {
  const std::int32_t id = frame.hd.stream_id;
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS: {
      auto* stream = static_cast<Stream*>(find(id));
      if (stream == nullptr || stream->arena == nullptr) return 0;
      if (!stream->final_seen) {
        finish_head(*stream, end_stream);
      } else if (stream->trailers != nullptr) {
        if (stream->oversized) {
          stream->error = NGHTTP2_PROTOCOL_ERROR;
          reset_stream(id, NGHTTP2_PROTOCOL_ERROR);
        } else {
          handler_.on_response_trailers(id, std::move(*stream->trailers));
        }
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      auto* stream = static_cast<Stream*>(find(id));
      if (stream != nullptr && stream->arena != nullptr && stream->final_seen && end_stream) {
        handler_.on_response_data(id, {}, true);
      }
      return 0;
    }
    case NGHTTP2_GOAWAY:
      goaway_ = true;
      handler_.on_goaway(frame.goaway.last_stream_id, frame.goaway.error_code);
      return 0;
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) handler_.on_ping_ack();
      return 0;
    default:
      return 0;
  }
}

int ClientSession::on_data_chunk(std::int32_t stream_id, std::span<const char> data) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr || stream->arena == nullptr || !stream->final_seen) {
    nghttp2_session_consume(session_, stream_id, data.size());
    return 0;
  }
  stream->unconsumed += data.size();
  handler_.on_response_data(stream_id, data, false);
  return 0;
}

int ClientSession::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto* stream = static_cast<Stream*>(find(stream_id));
  if (stream == nullptr) return 0;
  if (stream->error != NGHTTP2_NO_ERROR) {
    error_code = stream->error;
  } else if (error_code == NGHTTP2_NO_ERROR && !stream->final_seen) {
    // Ended cleanly by the backend's flags, but with no response the owner could use.
    error_code = NGHTTP2_PROTOCOL_ERROR;
  }
  nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
  release(*stream);
  handler_.on_stream_closed(stream_id, error_code);
  return 0;
}

int ClientSession::begin_headers_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                    void* user_data) {
  return self_of(user_data)->on_begin_headers(*frame);
}

int ClientSession::header_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                             const std::uint8_t* name, std::size_t namelen,
                             const std::uint8_t* value, std::size_t valuelen,
                             std::uint8_t /*flags*/, void* user_data) {
  return self_of(user_data)->on_header(*frame, view(name, namelen), view(value, valuelen));
}

int ClientSession::frame_recv_cb(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                 void* user_data) {
  return self_of(user_data)->on_frame_recv(*frame);
}

int ClientSession::data_chunk_cb(nghttp2_session* /*session*/, std::uint8_t /*flags*/,
                                 std::int32_t stream_id, const std::uint8_t* data, std::size_t len,
                                 void* user_data) {
  return self_of(user_data)->on_data_chunk(
      stream_id, std::span<const char>(reinterpret_cast<const char*>(data), len));
}

int ClientSession::stream_close_cb(nghttp2_session* /*session*/, std::int32_t stream_id,
                                   std::uint32_t error_code, void* user_data) {
  return self_of(user_data)->on_stream_close(stream_id, error_code);
}

}  // namespace bulwark::http::h2
