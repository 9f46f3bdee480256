#include "proxy/filter/filter_chain.h"

#include <memory>

namespace bulwark::proxy {

void FilterChain::build(FilterFactoryList factories, core::Arena& arena) {
  clear();
  count_ = factories.size();
  if (count_ == 0) return;
  filters_ = static_cast<Filter**>(arena.allocate(sizeof(Filter*) * count_, alignof(Filter*)));
  for (std::size_t i = 0; i < count_; ++i)
    filters_[i] = factories[i]->create(arena);
}

void FilterChain::clear() noexcept {
  for (std::size_t i = 0; i < count_; ++i)
    std::destroy_at(filters_[i]);
  filters_ = nullptr;
  count_ = 0;
  passed_ = 0;
  done_called_ = false;
}

template <class Hook>
Verdict FilterChain::run(Hook hook, bool reverse) {
  while (passed_ < count_) {
    Filter& filter = *filters_[reverse ? count_ - 1 - passed_ : passed_];
    const Verdict verdict = hook(filter);
    switch (verdict) {
      case Verdict::kContinue:
        ++passed_;
        break;
      case Verdict::kPause:
        ++passed_;  // the pausing filter is done with this event
        return verdict;
      case Verdict::kBuffer:
        return verdict;  // the same filter gets the whole body
      case Verdict::kRespond:
        passed_ = 0;
        return verdict;
    }
  }
  passed_ = 0;
  return Verdict::kContinue;
}

Verdict FilterChain::request_headers(http::RequestHead& head, bool end_stream, Context& ctx) {
  return run([&](Filter& f) { return f.on_request_headers(head, end_stream, ctx); }, false);
}

Verdict FilterChain::request_body(BodyChunk& chunk, bool end_stream, Context& ctx) {
  return run([&](Filter& f) { return f.on_request_body(chunk, end_stream, ctx); }, false);
}

Verdict FilterChain::response_headers(http::ResponseHead& head, bool end_stream, Context& ctx) {
  return run([&](Filter& f) { return f.on_response_headers(head, end_stream, ctx); }, true);
}

Verdict FilterChain::response_body(BodyChunk& chunk, bool end_stream, Context& ctx) {
  return run([&](Filter& f) { return f.on_response_body(chunk, end_stream, ctx); }, true);
}

Verdict FilterChain::upstream_failure(std::uint16_t status, Context& ctx) {
  for (std::size_t i = count_; i-- > 0;) {
    if (filters_[i]->on_upstream_failure(status, ctx) == Verdict::kRespond)
      return Verdict::kRespond;
  }
  return Verdict::kContinue;
}

void FilterChain::stream_done(const StreamSummary& summary) noexcept {
  if (done_called_) return;
  done_called_ = true;
  for (std::size_t i = 0; i < count_; ++i)
    filters_[i]->on_stream_done(summary);
}

}  // namespace bulwark::proxy
