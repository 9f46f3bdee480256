#pragma once
// Forwarding rules of DESIGN.md §5: hop-by-hop headers never cross bulwark, Via is extended, and
// X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded describe the client. Incoming values of
// those headers are believed (and extended) only from trusted networks; from anyone else they are
// replaced, so a client cannot forge its address to the backend.
//
// Security posture: robust to untrusted downstream and upstream.

#include <string>
#include <string_view>

#include "proxy/filter/filter.h"

namespace bulwark::filters {

struct ForwardingSettings {
  std::string via;  // pseudonym for Via ("1.1 <via>"); empty: no Via
  bool x_forwarded = true;
  bool forwarded = true;
};

class ForwardingFilter final : public proxy::Filter {
 public:
  explicit ForwardingFilter(const ForwardingSettings& settings) : settings_(settings) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;

 private:
  const ForwardingSettings& settings_;
};

class ForwardingFilterFactory final : public proxy::FilterFactory {
 public:
  explicit ForwardingFilterFactory(ForwardingSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "forwarding"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<ForwardingFilter>(settings_);
  }

 private:
  ForwardingSettings settings_;
};

// Removes the hop-by-hop fields of RFC 9110 §7.6.1 and the fields that Connection names.
// Exposed for the unit tests and for codecs that translate between protocols.
void remove_hop_by_hop(http::HeaderMap& headers);

}  // namespace bulwark::filters
