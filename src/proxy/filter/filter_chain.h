#pragma once
// Runs the filters of one stream. The iteration rules live here and nowhere else: request hooks
// in order, response hooks in reverse order, a phase stops at the first hook that does not
// continue, and after kPause (or kBuffer) the same phase picks up where it stopped.

#include <cstddef>
#include <span>

#include "proxy/filter/filter.h"

namespace bulwark::proxy {

// The factories of one chain, in order. The snapshot owns them; a list only points at them, so
// one factory (a virtual host's filter) serves the chains of many routes.
using FilterFactoryList = std::span<const FilterFactory* const>;

class FilterChain {
 public:
  FilterChain() = default;
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;
  ~FilterChain() { clear(); }

  // Creates the stream's filters in `arena`, in the factories' order.
  void build(FilterFactoryList factories, core::Arena& arena);
  // Runs the filters' destructors; call before the arena is reset.
  void clear() noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  // Each phase method runs from the start of its phase, or, when the previous call of the same
  // phase stopped with kPause or kBuffer, from the filter that stopped it (kBuffer: that filter
  // again, with the whole body) or the one after it (kPause). kContinue means every filter passed.
  Verdict request_headers(http::RequestHead& head, bool end_stream, Context& ctx);
  Verdict request_body(BodyChunk& chunk, bool end_stream, Context& ctx);
  Verdict response_headers(http::ResponseHead& head, bool end_stream, Context& ctx);
  Verdict response_body(BodyChunk& chunk, bool end_stream, Context& ctx);
  // Asks the filters, in response order, whether one answers for a failed upstream; kRespond
  // when one did, else kContinue.
  Verdict upstream_failure(std::uint16_t status, Context& ctx);
  // Calls on_stream_done on every filter, exactly once.
  void stream_done(const StreamSummary& summary) noexcept;

 private:
  // Runs the phase's remaining filters, first to last or (responses) last to first.
  template <class Hook>
  Verdict run(Hook hook, bool reverse);

  Filter** filters_ = nullptr;
  std::size_t count_ = 0;
  // Filters of the current phase that already passed: the next one to run is filters_[passed_]
  // (forward) or filters_[count_ - 1 - passed_] (reverse).
  std::size_t passed_ = 0;
  bool done_called_ = false;
};

}  // namespace bulwark::proxy
