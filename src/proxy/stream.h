#pragma once
// One request/response exchange: its arena, heads, filter chain and the facts the access log
// needs. Streams are recycled per worker, so a steady state of requests allocates none.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <optional>
#include <string_view>

#include "core/arena.h"
#include "core/io.h"
#include "core/metrics.h"
#include "core/timeout_list.h"
#include "http/h1/body_decoder.h"
#include "http/h1/request_parser.h"
#include "http/message.h"
#include "proxy/filter/filter_chain.h"

namespace bulwark::proxy {

class Stream final : public Context {
  // Declared first so that it is built first: the heads below allocate from it.
  core::Arena arena_;

 public:
  explicit Stream(const core::Executor& executor);

  // Gets the stream ready for a request under `limits`.
  void prepare(const http::h1::ParserLimits& limits);
  // Gets the stream ready to be recycled.
  void reset() noexcept;

  core::Arena& arena() noexcept override { return arena_; }
  StreamInfo& info() noexcept override { return info_; }
  Verdict respond(const LocalReply& reply) override;
  void resume() override;
  http::HeaderMap& response_trailers() noexcept override { return response_trailers_; }
  const core::Executor& executor() noexcept override { return executor_; }
  void refresh_after_reply() override { refresh_requested_ = true; }
  [[nodiscard]] bool refresh_requested() const noexcept { return refresh_requested_; }
  void want_whole_response() override { whole_response_wanted_ = true; }
  [[nodiscard]] bool whole_response_wanted() const noexcept { return whole_response_wanted_; }

  // Waits until resume() after a filter paused the chain.
  core::Task<void> wait_for_resume();

  http::RequestHead request;
  http::ResponseHead response;
  // The request's codec state lives here, not in the connection, so idle connections stay small.
  http::h1::RequestParser request_parser{http::h1::ParserLimits{}};
  http::h1::BodyDecoder request_body{http::h1::ParserLimits{}};
  FilterChain chain;
  // Set by respond(): the reply that replaces the upstream response.
  std::optional<LocalReply> local_reply;

  // For the access log.
  std::string_view upstream_label;
  std::uint16_t upstream_status = 0;
  core::Clock::duration upstream_time{};
  std::uint64_t body_bytes_sent = 0;  // response body bytes written to the client
  std::string_view failure;           // why the stream ended badly, if it did
  // Where finish_stream() counts it: the listener's, then the matched route's. Points into the
  // snapshot the stream's connection holds.
  const core::MetricsSeries* metrics = nullptr;

 private:
  StreamInfo info_;
  http::HeaderMap response_trailers_;
  core::Executor executor_;
  core::SteadyTimer resume_signal_;
  bool resumed_ = false;
  bool refresh_requested_ = false;
  bool whole_response_wanted_ = false;
};

}  // namespace bulwark::proxy
