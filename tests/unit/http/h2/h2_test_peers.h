#pragma once
// Test peers for the HTTP/2 sessions: handlers that record what they are told (copied, so the
// records outlive the arenas), a pump moving bytes between a ClientSession and a ServerSession,
// and a hand-built frame writer for what a well-behaved client never sends.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/arena.h"
#include "http/h2/client_session.h"
#include "http/h2/server_session.h"

namespace bulwark::http::h2::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields copy_fields(const HeaderMap& map) {
  Fields out;
  for (const HeaderField& field : map) out.emplace_back(field.name, field.value);
  return out;
}

inline std::string find_field(const Fields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

struct SeenRequest {
  std::string method;
  Method method_enum = Method::kOther;
  std::string target;
  std::string path;
  std::string protocol;
  TargetForm form = TargetForm::kOrigin;
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool http2 = false;
  bool upgrade = false;
  bool expect_continue = false;
  bool end_at_headers = false;
  Fields headers;
  std::string body;
  bool body_ended = false;
  std::optional<Fields> trailers;
  std::optional<std::uint32_t> reset;
  bool closed = false;
};

class ServerRecorder : public ServerHandler {
 public:
  ServerSession* session = nullptr;
  bool auto_consume = true;
  std::map<std::int32_t, SeenRequest> requests;
  std::vector<std::int32_t> closed;
  std::vector<std::int32_t> window_opened;
  std::size_t arenas_given = 0;
  // Called from on_request, e.g. to answer at once.
  std::function<void(std::int32_t, const SeenRequest&)> respond;

  core::Arena& stream_arena(std::int32_t stream_id) override {
    ++arenas_given;
    auto& arena = arenas_[stream_id];
    arena = std::make_unique<core::Arena>();
    return *arena;
  }
  void on_request(std::int32_t stream_id, RequestHead&& head, bool end_stream) override {
    SeenRequest& seen = requests[stream_id];
    seen.method = head.method_token;
    seen.method_enum = head.method;
    seen.target = head.target;
    seen.path = head.path;
    seen.protocol = head.protocol;
    seen.form = head.target_form;
    seen.framing = head.framing;
    seen.content_length = head.content_length;
    seen.http2 = head.http2;
    seen.upgrade = head.upgrade;
    seen.expect_continue = head.expect_continue;
    seen.end_at_headers = end_stream;
    seen.headers = copy_fields(head.headers);
    if (respond) respond(stream_id, seen);
  }
  void on_request_data(std::int32_t stream_id, std::span<const char> data,
                       bool end_stream) override {
    SeenRequest& seen = requests[stream_id];
    seen.body.append(data.data(), data.size());
    seen.body_ended = seen.body_ended || end_stream;
    if (auto_consume) session->consume(stream_id, data.size());
  }
  void on_request_trailers(std::int32_t stream_id, HeaderMap&& trailers) override {
    requests[stream_id].trailers = copy_fields(trailers);
  }
  void on_stream_reset(std::int32_t stream_id, std::uint32_t error_code) override {
    requests[stream_id].reset = error_code;
  }
  void on_stream_closed(std::int32_t stream_id) override {
    closed.push_back(stream_id);
    if (auto it = requests.find(stream_id); it != requests.end()) it->second.closed = true;
  }
  void on_window_open(std::int32_t stream_id) override { window_opened.push_back(stream_id); }

 private:
  std::map<std::int32_t, std::unique_ptr<core::Arena>> arenas_;
};

struct SeenResponse {
  std::uint16_t status = 0;
  Fields headers;
  BodyFraming framing = BodyFraming::kNone;
  std::vector<std::uint16_t> informational;
  std::string body;
  bool body_ended = false;
  bool end_at_headers = false;
  std::optional<Fields> trailers;
  std::optional<std::uint32_t> closed;  // error code
};

class ClientRecorder : public ClientHandler {
 public:
  ClientSession* session = nullptr;
  bool auto_consume = true;
  std::map<std::int32_t, SeenResponse> responses;
  std::vector<std::pair<std::int32_t, std::uint32_t>> goaways;
  std::vector<std::int32_t> window_opened;
  int ping_acks = 0;

  core::Arena& arena_for_next() {
    arenas_.push_back(std::make_unique<core::Arena>());
    return *arenas_.back();
  }
  void on_informational(std::int32_t stream_id, ResponseHead&& head) override {
    responses[stream_id].informational.push_back(head.status);
  }
  void on_response(std::int32_t stream_id, ResponseHead&& head, bool end_stream) override {
    SeenResponse& seen = responses[stream_id];
    seen.status = head.status;
    seen.headers = copy_fields(head.headers);
    seen.framing = head.framing;
    seen.end_at_headers = end_stream;
  }
  void on_response_data(std::int32_t stream_id, std::span<const char> data,
                        bool end_stream) override {
    SeenResponse& seen = responses[stream_id];
    seen.body.append(data.data(), data.size());
    seen.body_ended = seen.body_ended || end_stream;
    if (auto_consume) session->consume(stream_id, data.size());
  }
  void on_response_trailers(std::int32_t stream_id, HeaderMap&& trailers) override {
    responses[stream_id].trailers = copy_fields(trailers);
  }
  void on_stream_closed(std::int32_t stream_id, std::uint32_t error_code) override {
    responses[stream_id].closed = error_code;
  }
  void on_goaway(std::int32_t last_stream_id, std::uint32_t error_code) override {
    goaways.emplace_back(last_stream_id, error_code);
  }
  void on_window_open(std::int32_t stream_id) override { window_opened.push_back(stream_id); }
  void on_ping_ack() override { ++ping_acks; }

 private:
  std::vector<std::unique_ptr<core::Arena>> arenas_;
};

// Moves bytes both ways until neither side has anything to say. Returns the server's first
// feed error, if any.
inline std::optional<core::Error> pump(ClientSession& client, ServerSession& server) {
  std::optional<core::Error> server_error;
  for (int round = 0; round < 10'000; ++round) {
    bool moved = false;
    std::span<const char> to_server = client.output();
    if (!to_server.empty()) {
      const std::string bytes(to_server.begin(), to_server.end());
      client.output_sent(bytes.size());
      if (auto r = server.feed(bytes); !r && !server_error) server_error = r.error();
      moved = true;
    }
    std::span<const char> to_client = server.output();
    if (!to_client.empty()) {
      const std::string bytes(to_client.begin(), to_client.end());
      server.output_sent(bytes.size());
      (void)client.feed(bytes);
      moved = true;
    }
    if (!moved) break;
  }
  return server_error;
}

// Everything the server has to send, taken at once.
inline std::string drain(detail::SessionCore& session) {
  std::string out;
  for (;;) {
    std::span<const char> bytes = session.output();
    if (bytes.empty()) return out;
    out.append(bytes.begin(), bytes.end());
    session.output_sent(bytes.size());
  }
}

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::int32_t stream_id = 0;
  std::string payload;
};

// Splits a server's output into frames.
inline std::vector<Frame> parse_frames(std::string_view bytes) {
  std::vector<Frame> frames;
  while (bytes.size() >= 9) {
    const auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    const std::size_t length = (std::size_t{u(0)} << 16) | (std::size_t{u(1)} << 8) | u(2);
    Frame frame;
    frame.type = u(3);
    frame.flags = u(4);
    frame.stream_id = static_cast<std::int32_t>(((u(5) & 0x7FU) << 24) | (u(6) << 16) |
                                                (u(7) << 8) | u(8));
    frame.payload = std::string(bytes.substr(9, length));
    frames.push_back(std::move(frame));
    bytes.remove_prefix(std::min(bytes.size(), 9 + length));
  }
  return frames;
}

inline std::uint32_t be32(std::string_view bytes, std::size_t at) {
  const auto u = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[at + i])); };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

// The error code of the first RST_STREAM for `stream_id`, if any.
inline std::optional<std::uint32_t> rst_code(std::string_view output, std::int32_t stream_id) {
  for (const Frame& frame : parse_frames(output)) {
    if (frame.type == NGHTTP2_RST_STREAM && frame.stream_id == stream_id) {
      return be32(frame.payload, 0);
    }
  }
  return std::nullopt;
}

// The error code of the first GOAWAY, if any.
inline std::optional<std::uint32_t> goaway_code(std::string_view output) {
  for (const Frame& frame : parse_frames(output)) {
    if (frame.type == NGHTTP2_GOAWAY) return be32(frame.payload, 4);
  }
  return std::nullopt;
}

// Writes client frames by hand, with its own HPACK encoder.
class RawClient {
 public:
  RawClient() { nghttp2_hd_deflate_new(&deflater_, 4096); }
  ~RawClient() { nghttp2_hd_deflate_del(deflater_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // The connection preface and an empty SETTINGS frame.
  static std::string preface() {
    return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(NGHTTP2_SETTINGS, 0, 0, "");
  }
  static std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream_id,
                           std::string_view payload) {
    std::string out;
    const std::size_t n = payload.size();
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(flags));
    out.push_back(static_cast<char>((stream_id >> 24) & 0x7F));
    out.push_back(static_cast<char>(stream_id >> 16));
    out.push_back(static_cast<char>(stream_id >> 8));
    out.push_back(static_cast<char>(stream_id));
    out.append(payload);
    return out;
  }
  std::string block(const Fields& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : fields) {
      nva.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                               reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())),
                               name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    const auto n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<std::uint8_t*>(out.data()),
                                         out.size(), nva.data(), nva.size());
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  std::string headers(std::int32_t stream_id, const Fields& fields, bool end_stream) {
    return frame(NGHTTP2_HEADERS,
                 NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), stream_id,
                 block(fields));
  }
  static std::string data(std::int32_t stream_id, std::string_view bytes, bool end_stream) {
    return frame(NGHTTP2_DATA, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, stream_id, bytes);
  }
  static std::string rst(std::int32_t stream_id, std::uint32_t code) {
    std::string payload;
    for (int shift = 24; shift >= 0; shift -= 8) payload.push_back(static_cast<char>(code >> shift));
    return frame(NGHTTP2_RST_STREAM, 0, stream_id, payload);
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

inline Fields get_request(std::string path = "/") {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"},
          {":path", std::move(path)}};
}

}  // namespace bulwark::http::h2::testing
