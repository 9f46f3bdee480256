#pragma once
// Gives every request an id (DESIGN.md §6): kept from a trusted client, else generated; passed
// upstream, echoed to the client and written to the access log.
//
// Security posture: robust to untrusted downstream (untrusted ids are replaced, not validated).

#include <string>
#include <string_view>

#include "proxy/filter/filter.h"

namespace bulwark::filters {

// A random UUID (version 4) in the arena. Uses a per-thread generator: no locks.
std::string_view generate_request_id(core::Arena& arena);

class RequestIdFilter final : public proxy::Filter {
 public:
  explicit RequestIdFilter(std::string_view header) : header_(header) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;

 private:
  std::string_view header_;
};

class RequestIdFilterFactory final : public proxy::FilterFactory {
 public:
  explicit RequestIdFilterFactory(std::string header) : header_(std::move(header)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "request_id"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<RequestIdFilter>(header_);
  }

 private:
  std::string header_;
};

}  // namespace bulwark::filters
