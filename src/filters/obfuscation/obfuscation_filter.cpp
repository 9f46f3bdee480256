#include "filters/obfuscation/obfuscation_filter.h"

#include <algorithm>

namespace bulwark::filters {

ObfuscationFilterFactory::ObfuscationFilterFactory(ObfuscationSettings settings)
    : settings_(std::move(settings)), rewriter_(settings_.backends) {
  for (const std::string& name : settings_.strip_headers) {
    if (name.size() < 64) {
      strip_lengths_ |= std::uint64_t{1} << name.size();
    } else {
      strips_long_names_ = true;
    }
  }
}

bool ObfuscationFilterFactory::strips(std::string_view field_name) const noexcept {
  const bool length_listed = field_name.size() < 64
                                 ? ((strip_lengths_ >> field_name.size()) & 1U) != 0
                                 : strips_long_names_;
  return length_listed &&
         std::ranges::any_of(settings_.strip_headers, [&](const std::string& name) {
           return http::iequals(field_name, name);
         });
}

proxy::Verdict ObfuscationFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                     proxy::Context& /*ctx*/) {
  public_host_ = head.host();
  return proxy::Verdict::kContinue;
}

proxy::Verdict ObfuscationFilter::on_response_headers(http::ResponseHead& head, bool /*end_stream*/,
                                                      proxy::Context& ctx) {
  const ObfuscationSettings& settings = factory_.settings();
  http::HeaderMap& headers = head.headers;
  headers.remove_if([this](const http::HeaderField& field) { return factory_.strips(field.name); });
  if (!settings.server.empty()) headers.set("server", settings.server);
  if (!settings.rewrite_redirects && !settings.rewrite_cookies) return proxy::Verdict::kContinue;

  const BackendRewriter& rewriter = factory_.rewriter();
  const proxy::StreamInfo& info = ctx.info();
  const PublicSite site{.scheme = info.scheme,
                        .host = public_host_,
                        .public_prefix = info.public_path_prefix,
                        .upstream_prefix = info.upstream_path_prefix};
  core::Arena& arena = ctx.arena();
  for (http::HeaderField& field : headers) {
    std::optional<std::string_view> rewritten;
    if (settings.rewrite_redirects) {
      if (http::iequals(field.name, "location") || http::iequals(field.name, "content-location")) {
        rewritten = rewriter.rewrite_url(field.value, site, arena);
      } else if (http::iequals(field.name, "refresh")) {
        rewritten = rewriter.rewrite_refresh(field.value, site, arena);
      }
    }
    if (settings.rewrite_cookies && http::iequals(field.name, "set-cookie")) {
      rewritten = rewriter.rewrite_set_cookie(field.value, site, arena);
    }
    if (rewritten) field.value = *rewritten;
  }
  return proxy::Verdict::kContinue;
}

}  // namespace bulwark::filters
