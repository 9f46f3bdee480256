#include "proxy/stream.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/io.h"

namespace bulwark::proxy {

Stream::Stream(const core::Executor& executor)
    : request(arena_.resource()),
      response(arena_.resource()),
      response_trailers_(arena_.resource()),
      executor_(executor),
      resume_signal_(executor) {}

void Stream::prepare(const http::h1::ParserLimits& limits) {
  request_parser = http::h1::RequestParser(limits);
  request_body = http::h1::BodyDecoder(limits);
}

void Stream::reset() noexcept {
  chain.clear();
  local_reply.reset();
  request.headers.clear();
  response.headers.clear();
  response_trailers_.clear();
  arena_.reset();
  // The heads' vectors pointed into the released arena: start them empty on the fresh one.
  request = http::RequestHead(arena_.resource());
  response = http::ResponseHead(arena_.resource());
  response_trailers_ = http::HeaderMap(arena_.resource());
  info_ = StreamInfo{};
  upstream_label = {};
  upstream_status = 0;
  upstream_time = {};
  body_bytes_sent = 0;
  failure = {};
  metrics = nullptr;
  resumed_ = false;
  refresh_requested_ = false;
  whole_response_wanted_ = false;
}

Verdict Stream::respond(const LocalReply& reply) {
  LocalReply copy = reply;
  // The filter's strings may live in its own frame: keep them for as long as the stream.
  copy.body = arena_.copy(reply.body);
  copy.content_type = arena_.copy(reply.content_type);
  copy.detail = arena_.copy(reply.detail);
  if (!reply.headers.empty()) {
    auto* fields = static_cast<http::HeaderField*>(arena_.allocate(
        sizeof(http::HeaderField) * reply.headers.size(), alignof(http::HeaderField)));
    for (std::size_t i = 0; i < reply.headers.size(); ++i)
      fields[i] = {arena_.copy(reply.headers[i].name), arena_.copy(reply.headers[i].value)};
    copy.headers = {fields, reply.headers.size()};
  }
  local_reply = copy;
  return Verdict::kRespond;
}

void Stream::resume() {
  resumed_ = true;
  resume_signal_.cancel();
}

core::Task<void> Stream::wait_for_resume() {
  if (!resumed_) {
    resume_signal_.expires_at(core::SteadyTimer::time_point::max());
    co_await resume_signal_.async_wait(core::kAsTuple);
  }
  resumed_ = false;
}

}  // namespace bulwark::proxy
