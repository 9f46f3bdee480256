#pragma once
// A Context for filter tests: an arena, a StreamInfo the test fills in, and a record of every
// respond() and resume() call.

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

  std::vector<RecordedReply> replies;
  int resume_calls = 0;
  http::HeaderMap trailers;

 private:
  core::Arena arena_;
  StreamInfo info_;
};

}  // namespace bulwark::proxy::fakes
