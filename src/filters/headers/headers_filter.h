#pragma once
// Header control (docs/config.md "headers"): adds, sets, removes and renames request and response
// fields, with values rendered from templates (header_template.h). The rules of one direction run
// in the order the configuration gives them.
//
// Security posture: the rules come from the operator and were checked at load (no field that
// bulwark manages, no CR/LF/NUL); variable values from the client or a certificate are rendered
// with control characters replaced, so no input can split a header.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_template.h"
#include "proxy/filter/filter.h"

namespace bulwark::filters {

enum class HeaderAction : std::uint8_t { kAdd, kSet, kRemove, kRename };

struct HeaderOperation {
  HeaderAction action = HeaderAction::kSet;
  std::string name;            // lower case
  std::string new_name;        // kRename: lower case
  http::HeaderTemplate value;  // kAdd, kSet
};

struct HeaderRuleSet {
  std::vector<HeaderOperation> request;
  std::vector<HeaderOperation> response;
};

// Applies `operations` to `headers` with these variable values. Rendered values live in `arena`.
// A set whose value renders empty removes the field; an add whose value renders empty adds none.
void apply_header_operations(std::span<const HeaderOperation> operations,
                             const http::HeaderTemplate::Values& values, http::HeaderMap& headers,
                             core::Arena& arena);

class HeadersFilter final : public proxy::Filter {
 public:
  explicit HeadersFilter(const HeaderRuleSet& rules) : rules_(rules) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;

 private:
  [[nodiscard]] http::HeaderTemplate::Values values(std::span<const HeaderOperation> operations,
                                                    proxy::Context& ctx) const;

  const HeaderRuleSet& rules_;
  // The request as the client sent it, for the variables of the response rules: views into the
  // request head, which outlives the filter.
  std::string_view host_;
  std::string_view path_;
  std::string_view query_;
  std::string_view method_;
};

class HeadersFilterFactory final : public proxy::FilterFactory {
 public:
  explicit HeadersFilterFactory(HeaderRuleSet rules) : rules_(std::move(rules)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "headers"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<HeadersFilter>(rules_);
  }

 private:
  HeaderRuleSet rules_;
};

}  // namespace bulwark::filters
