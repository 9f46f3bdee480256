#pragma once
// The single data-plane extension point (DESIGN.md §3a, STYLE-ANCHORS §4). A FilterFactory is
// built once per configuration snapshot and shared by all workers; it creates one cheap Filter
// per stream in the stream's arena. Request hooks run in configured order, response hooks in
// reverse order, so the first filter sees the request first and the response last.

#include <string_view>

#include "core/arena.h"
#include "http/message.h"
#include "proxy/filter/body_chunk.h"
#include "proxy/filter/context.h"
#include "proxy/filter/verdict.h"

namespace bulwark::proxy {

struct StreamSummary {
  std::uint16_t status = 0;  // sent to the client; 0 when nothing was sent
  bool completed = false;    // the whole response reached the client
};

class Filter {
 public:
  Filter() = default;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  virtual ~Filter() = default;

  virtual Verdict on_request_headers(http::RequestHead& /*head*/, bool /*end_stream*/,
                                     Context& /*ctx*/) {
    return Verdict::kContinue;
  }
  virtual Verdict on_request_body(BodyChunk& /*chunk*/, bool /*end_stream*/, Context& /*ctx*/) {
    return Verdict::kContinue;
  }
  virtual Verdict on_response_headers(http::ResponseHead& /*head*/, bool /*end_stream*/,
                                      Context& /*ctx*/) {
    return Verdict::kContinue;
  }
  virtual Verdict on_response_body(BodyChunk& /*chunk*/, bool /*end_stream*/, Context& /*ctx*/) {
    return Verdict::kContinue;
  }
  // The upstream gave no usable response (refused, timed out, reset, or the cluster is full) and
  // bulwark is about to answer `status` (502, 503, 504) itself. A filter may answer instead, as a
  // cache does with stale content (RFC 5861 stale-if-error): return ctx.respond(...).
  virtual Verdict on_upstream_failure(std::uint16_t /*status*/, Context& /*ctx*/) {
    return Verdict::kContinue;
  }
  // Exactly once per stream, whatever happened; cancel asynchronous work here.
  virtual void on_stream_done(const StreamSummary& /*summary*/) noexcept {}
};

class FilterFactory {
 public:
  FilterFactory() = default;
  FilterFactory(const FilterFactory&) = delete;
  FilterFactory& operator=(const FilterFactory&) = delete;
  virtual ~FilterFactory() = default;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // The filter lives in `stream_arena`; the chain runs its destructor when the stream ends.
  [[nodiscard]] virtual Filter* create(core::Arena& stream_arena) const = 0;
};

}  // namespace bulwark::proxy
