#pragma once
// Response compression (docs/config.md "compression"): gzip, brotli or zstd, chosen from the
// client's Accept-Encoding and the configured preference, streamed run by run as the body
// arrives. Responses that are already encoded, ask not to be transformed (no-transform), carry
// no body, are partial (206), too short or of a type that does not compress go out unchanged.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compress/content_coding.h"
#include "compress/encoder.h"
#include "proxy/filter/filter.h"

namespace bulwark::filters {

struct CompressionPolicy {
  std::vector<compress::Coding> preference;  // best first
  std::array<int, 4> levels{};               // indexed by compress::Coding
  // Media ranges, lower case: "text/html", "text/*", "application/*+json".
  std::vector<std::string> content_types;
  std::uint64_t min_length = 1024;

  // Whether a Content-Type value (parameters allowed) is one of content_types.
  [[nodiscard]] bool compresses(std::string_view content_type) const noexcept;
};

class CompressionFilter final : public proxy::Filter {
 public:
  explicit CompressionFilter(const CompressionPolicy& policy) : policy_(policy) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;
  proxy::Verdict on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                  proxy::Context& ctx) override;

 private:
  // The runs of one write (the end's included) each need their own buffer until that write. The
  // buffers keep their capacity, so a long body costs a few runs' worth of memory, never its
  // length.
  static constexpr std::size_t kOutputs = proxy::kMaxRunsPerWrite;

  // The checks that do not depend on the client: whether this response compresses at all.
  [[nodiscard]] bool compressible(const http::ResponseHead& head) const noexcept;
  std::string& next_output() noexcept;

  const CompressionPolicy& policy_;
  compress::Coding coding_ = compress::Coding::kIdentity;
  bool head_request_ = false;
  std::unique_ptr<compress::Encoder> encoder_;
  std::array<std::string, kOutputs> outputs_;
  std::size_t next_output_ = 0;
};

class CompressionFilterFactory final : public proxy::FilterFactory {
 public:
  explicit CompressionFilterFactory(CompressionPolicy policy) : policy_(std::move(policy)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "compression"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<CompressionFilter>(policy_);
  }

 private:
  CompressionPolicy policy_;
};

}  // namespace bulwark::filters
