// libFuzzer target for the HTTP/2 server codec: arbitrary frames after the client preface, fed
// to a ServerSession whose handler answers every request (so responses, bodies, trailers and
// flow control run too). Besides memory and UB errors (ASan, UBSan) it checks that:
//  - every stream the handler was asked an arena for is closed at most once, and only then;
//  - requests are only delivered on streams that have an arena, once each;
//  - a delivered head is what the codec promises: a method, a target, one Host field;
//  - once feed() fails it keeps failing and the session stops wanting to read.
//
// Input layout: byte 0 picks the limits and the step size; the rest follows the preface.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/arena.h"
#include "fuzz_check.h"
#include "http/h2/server_session.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark;
using namespace bulwark::http;

enum class State : std::uint8_t { kOpen, kDelivered, kClosed };

class Handler : public h2::ServerHandler {
 public:
  h2::ServerSession* session = nullptr;

  core::Arena& stream_arena(std::int32_t stream_id) override {
    auto [it, fresh] = states_.try_emplace(stream_id, State::kOpen);
    check(fresh, "an arena asked twice for one stream");
    auto& arena = arenas_[stream_id];
    arena = std::make_unique<core::Arena>();
    return *arena;
  }
  void on_request(std::int32_t stream_id, RequestHead&& head, bool end_stream) override {
    check(states_[stream_id] == State::kOpen, "request on a stream without arena or twice");
    states_[stream_id] = State::kDelivered;
    check(!head.method_token.empty() && !head.target.empty(), "empty method or target");
    check(head.headers.count("host") == 1, "not exactly one Host");
    check(head.http2, "http2 not set");
    ResponseHead response;
    response.status = 200;
    response.headers.add("Content-Type", "text/plain");
    (void)session->submit_response(stream_id, response, false);
    (void)session->send_data(stream_id, std::string_view("response body"), end_stream);
  }
  void on_request_data(std::int32_t stream_id, std::span<const char> data,
                       bool end_stream) override {
    check(states_[stream_id] == State::kDelivered, "data before the request");
    session->consume(stream_id, data.size());
    (void)session->send_data(stream_id, data, false);
    if (end_stream) finish(stream_id);
  }
  void on_request_trailers(std::int32_t stream_id, HeaderMap&& /*trailers*/) override {
    check(states_[stream_id] == State::kDelivered, "trailers before the request");
    finish(stream_id);
  }
  void on_stream_reset(std::int32_t stream_id, std::uint32_t /*error_code*/) override {
    check(states_[stream_id] == State::kDelivered, "reset of a stream never delivered");
  }
  void on_stream_closed(std::int32_t stream_id) override {
    auto it = states_.find(stream_id);
    check(it != states_.end() && it->second != State::kClosed, "closed without arena or twice");
    it->second = State::kClosed;
    arenas_.erase(stream_id);
  }
  void on_window_open(std::int32_t /*stream_id*/) override {}

 private:
  void finish(std::int32_t stream_id) {
    HeaderMap trailers;
    trailers.add("X-Done", "1");
    (void)session->submit_trailers(stream_id, trailers);
  }

  std::map<std::int32_t, State> states_;
  std::map<std::int32_t, std::unique_ptr<core::Arena>> arenas_;
};

void drain(h2::ServerSession& session) {
  for (int i = 0; i < 64; ++i) {
    std::span<const char> out = session.output();
    if (out.empty()) return;
    session.output_sent(out.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  h2::SessionSettings settings;
  if ((control & 1) != 0) {
    settings.max_header_bytes = 256;
    settings.max_header_count = 8;
    settings.max_resets_per_second = 4;
    settings.max_control_frames_per_second = 16;
    settings.max_concurrent_streams = 4;
    settings.initial_stream_window = 65'535;
    settings.connection_window = 65'535;
    settings.send_low_water = 16;
  }
  const std::size_t step = 1 + (control >> 1) % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  Handler handler;
  h2::ServerSession session(settings, handler);
  handler.session = &session;
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  check(session.feed(kPreface).has_value(), "the preface was refused");
  bool failed = false;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    const auto result = session.feed(bytes.substr(at, step));
    if (failed) check(!result.has_value(), "a failed session accepted bytes again");
    if (!result) {
      failed = true;
      check(!session.want_read(), "a failed session still wants to read");
    }
    drain(session);
  }
  (void)session.check_stalls(h2::Clock::now());
  (void)session.check_stalls(h2::Clock::now() + settings.stall_timeout);
  session.goaway(true);
  drain(session);
  return 0;
}
