#pragma once
// Server obfuscation (docs/config.md "obfuscation"), built in and last in every chain, so that it
// sees an upstream response before any configured filter does: removes the fields that identify
// the backend software, sets bulwark's own Server field, and rewrites Location, Content-Location,
// Refresh and Set-Cookie values that point at a backend (backend_rewriter.h). It runs over local
// replies too, so every response carries the same Server field.
//
// Security posture: robust to untrusted upstream; trusts the configuration.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/obfuscation/backend_rewriter.h"
#include "proxy/filter/filter.h"

namespace bulwark::filters {

struct ObfuscationSettings {
  std::vector<std::string> strip_headers;  // lower case
  std::string server;                      // empty: no Server field
  bool rewrite_redirects = true;
  bool rewrite_cookies = true;
  std::vector<BackendName> backends;  // every endpoint, and every Host a route sends upstream
};

class ObfuscationFilterFactory;

class ObfuscationFilter final : public proxy::Filter {
 public:
  explicit ObfuscationFilter(const ObfuscationFilterFactory& factory) : factory_(factory) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;

 private:
  const ObfuscationFilterFactory& factory_;
  std::string_view public_host_;  // the client's Host; a view into the request head
};

class ObfuscationFilterFactory final : public proxy::FilterFactory {
 public:
  explicit ObfuscationFilterFactory(ObfuscationSettings settings);
  [[nodiscard]] std::string_view name() const noexcept override { return "obfuscation"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<ObfuscationFilter>(*this);
  }

  [[nodiscard]] const ObfuscationSettings& settings() const noexcept { return settings_; }
  [[nodiscard]] const BackendRewriter& rewriter() const noexcept { return rewriter_; }
  // Whether a response field goes. Every response passes each of its fields through here, so
  // most are turned away by their length before any name is compared.
  [[nodiscard]] bool strips(std::string_view field_name) const noexcept;

 private:
  ObfuscationSettings settings_;
  BackendRewriter rewriter_;
  std::uint64_t strip_lengths_ = 0;  // bit n: some name of n bytes (n < 64) is stripped
  bool strips_long_names_ = false;   // some name is 64 bytes or longer
};

}  // namespace bulwark::filters
