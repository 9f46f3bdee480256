#pragma once
// A Context for filter tests: an arena, a StreamInfo the test fills in, and a record of every
// respond(), resume() and refresh_after_reply() call.

#include <asio/io_context.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/arena.h"
#include "proxy/filter/context.h"
#include "proxy/filter/stream_info.h"
#include "proxy/filter/verdict.h"

namespace bulwark::proxy::fakes {

struct RecordedReply {
  std::uint16_t status = 0;
  std::string body;
  std::string content_type;
  std::string detail;
};

class FakeContext final : public Context {
 public:
  FakeContext() = default;
  ~FakeContext() = default;

  core::Arena& arena() noexcept override { return arena_; }
  StreamInfo& info() noexcept override { return info_; }
  Verdict respond(const LocalReply& reply) override {
    replies.push_back({reply.status, std::string(reply.body), std::string(reply.content_type),
                       std::string(reply.detail)});
    return Verdict::kRespond;
  }
  void resume() override { ++resume_calls; }
  http::HeaderMap& response_trailers() noexcept override { return trailers; }
  void refresh_after_reply() override { ++refresh_requests; }
  void want_whole_response() override { whole_response_wanted = true; }
  const core::Executor& executor() noexcept override { return executor_; }

  std::vector<RecordedReply> replies;
  int resume_calls = 0;
  int refresh_requests = 0;
  bool whole_response_wanted = false;
  http::HeaderMap trailers;
  asio::io_context io;  // runs what the filter posts, when the test runs it

 private:
  core::Executor executor_ = io.get_executor();
  core::Arena arena_;
  StreamInfo info_;
};

}  // namespace bulwark::proxy::fakes
