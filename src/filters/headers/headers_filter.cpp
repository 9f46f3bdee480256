#include "filters/headers/headers_filter.h"

#include <algorithm>
#include <charconv>

namespace bulwark::filters {
namespace {

std::string_view port_text(std::uint16_t port, core::Arena& arena) {
  char digits[5];
  const auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), port);
  return arena.copy({digits, static_cast<std::size_t>(end - digits)});
}

void set_value(http::HeaderTemplate::Values& values, http::TemplateVariable variable,
               std::string_view text) {
  values[static_cast<std::size_t>(variable)] = text;
}

}  // namespace

void apply_header_operations(std::span<const HeaderOperation> operations,
                             const http::HeaderTemplate::Values& values, http::HeaderMap& headers,
                             core::Arena& arena) {
  for (const HeaderOperation& operation : operations) {
    switch (operation.action) {
      case HeaderAction::kAdd:
        if (const std::string_view value = operation.value.render(values, arena); !value.empty()) {
          headers.add(operation.name, value);
        }
        break;
      case HeaderAction::kSet:
        if (const std::string_view value = operation.value.render(values, arena); value.empty()) {
          headers.remove(operation.name);
        } else {
          headers.set(operation.name, value);
        }
        break;
      case HeaderAction::kRemove:
        headers.remove(operation.name);
        break;
      case HeaderAction::kRename:
        for (http::HeaderField& field : headers) {
          if (http::iequals(field.name, operation.name)) field.name = operation.new_name;
        }
        break;
    }
  }
}

proxy::Verdict HeadersFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                 proxy::Context& ctx) {
  host_ = head.host();
  method_ = head.method_token;
  path_ = head.path;
  if (const std::size_t question = path_.find('?'); question != std::string_view::npos) {
    query_ = path_.substr(question + 1);
    path_ = path_.substr(0, question);
  }
  if (!rules_.request.empty()) {
    apply_header_operations(rules_.request, values(rules_.request, ctx), head.headers, ctx.arena());
  }
  return proxy::Verdict::kContinue;
}

proxy::Verdict HeadersFilter::on_response_headers(http::ResponseHead& head, bool /*end_stream*/,
                                                  proxy::Context& ctx) {
  if (!rules_.response.empty()) {
    apply_header_operations(rules_.response, values(rules_.response, ctx), head.headers,
                            ctx.arena());
  }
  return proxy::Verdict::kContinue;
}

http::HeaderTemplate::Values HeadersFilter::values(std::span<const HeaderOperation> operations,
                                                   proxy::Context& ctx) const {
  const proxy::StreamInfo& info = ctx.info();
  http::HeaderTemplate::Values values;
  set_value(values, http::TemplateVariable::kClientAddress, info.client_address_text);
  // The only value that costs a conversion: made when a rule asks for it.
  const bool port_used = std::ranges::any_of(operations, [](const HeaderOperation& operation) {
    return operation.value.uses(http::TemplateVariable::kClientPort);
  });
  if (port_used && info.client_port != 0) {
    set_value(values, http::TemplateVariable::kClientPort,
              port_text(info.client_port, ctx.arena()));
  }
  set_value(values, http::TemplateVariable::kHost, host_);
  set_value(values, http::TemplateVariable::kPath, path_);
  set_value(values, http::TemplateVariable::kQuery, query_);
  set_value(values, http::TemplateVariable::kMethod, method_);
  set_value(values, http::TemplateVariable::kScheme, info.scheme);
  set_value(values, http::TemplateVariable::kRequestId, info.request_id);
  set_value(values, http::TemplateVariable::kRoute, info.route_name);
  set_value(values, http::TemplateVariable::kListener, info.listener_name);
  set_value(values, http::TemplateVariable::kTlsVersion, info.tls_version);
  set_value(values, http::TemplateVariable::kTlsCipher, info.tls_cipher);
  set_value(values, http::TemplateVariable::kTlsServerName, info.tls_server_name);
  set_value(values, http::TemplateVariable::kClientCertSubject, info.client_cert_subject);
  set_value(values, http::TemplateVariable::kClientCertFingerprint, info.client_cert_fingerprint);
  set_value(values, http::TemplateVariable::kUpstreamAddress, info.upstream_address);
  return values;
}

}  // namespace bulwark::filters
