#include "filters/compression/compression_filter.h"

#include <algorithm>

namespace bulwark::filters {
namespace {

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

// Whether a comma-separated field value lists `token` (case-insensitive).
bool lists(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view element = trim(value.substr(0, comma));
    element = element.substr(0, element.find('='));  // "no-transform" has no argument anyway
    if (http::iequals(trim(element), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool any_field_lists(const http::HeaderMap& headers, std::string_view name,
                     std::string_view token) noexcept {
  return std::ranges::any_of(headers, [&](const http::HeaderField& field) {
    return http::iequals(field.name, name) && lists(field.value, token);
  });
}

// One media range against a media type, both lower case without parameters.
bool range_matches(std::string_view range, std::string_view type) noexcept {
  const std::size_t slash = range.find('/');
  const std::size_t type_slash = type.find('/');
  if (slash == std::string_view::npos || type_slash == std::string_view::npos) return false;
  const std::string_view range_top = range.substr(0, slash);
  const std::string_view range_sub = range.substr(slash + 1);
  const std::string_view top = type.substr(0, type_slash);
  const std::string_view sub = type.substr(type_slash + 1);
  if (range_top != "*" && range_top != top) return false;
  if (range_sub == "*") return true;
  if (range_sub.starts_with("*+")) {  // a structured syntax suffix: "*+json" takes "ld+json"
    const std::string_view suffix = range_sub.substr(1);
    return sub.size() > suffix.size() && sub.ends_with(suffix);
  }
  return range_sub == sub;
}

}  // namespace

bool CompressionPolicy::compresses(std::string_view content_type) const noexcept {
  std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  constexpr std::size_t kMaxMediaType = 128;
  if (media.empty() || media.size() > kMaxMediaType) return false;
  std::array<char, kMaxMediaType> lower{};
  std::ranges::transform(media, lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  });
  media = {lower.data(), media.size()};
  return std::ranges::any_of(content_types,
                             [&](const std::string& range) { return range_matches(range, media); });
}

proxy::Verdict CompressionFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                     proxy::Context& /*ctx*/) {
  head_request_ = head.method == http::Method::kHead;
  compress::AcceptEncoding accept;
  for (const http::HeaderField& field : head.headers) {
    if (http::iequals(field.name, "accept-encoding")) accept.add(field.value);
  }
  // A client may ask intermediaries not to transform the content either (RFC 9111 §5.2.1.6).
  coding_ = any_field_lists(head.headers, "cache-control", "no-transform")
                ? compress::Coding::kIdentity
                : accept.choose(policy_.preference);
  return proxy::Verdict::kContinue;
}

bool CompressionFilter::compressible(const http::ResponseHead& head) const noexcept {
  // Bodies bulwark makes itself (error pages, direct responses, static files) do not pass the
  // body hooks; 1xx, 204 and 304 and answers to HEAD have none, and 206 is a byte range of the
  // unencoded representation (RFC 9110 §14), which an encoded body could not honour.
  if (head.framing == http::BodyFraming::kNone || head.status == 206 ||
      http::response_has_no_body(head_request_, head.status)) {
    return false;
  }
  if (head.headers.has("content-encoding") ||
      any_field_lists(head.headers, "cache-control", "no-transform")) {
    return false;
  }
  if (head.framing == http::BodyFraming::kContentLength &&
      head.content_length < policy_.min_length) {
    return false;
  }
  return policy_.compresses(head.headers.get("content-type"));
}

proxy::Verdict CompressionFilter::on_response_headers(http::ResponseHead& head, bool /*end_stream*/,
                                                      proxy::Context& ctx) {
  if (ctx.info().local_response || !compressible(head)) return proxy::Verdict::kContinue;
  // Caches must know the body depends on Accept-Encoding, whether this client gets it encoded
  // or not (RFC 9110 §12.5.5).
  if (!any_field_lists(head.headers, "vary", "accept-encoding") &&
      !any_field_lists(head.headers, "vary", "*")) {
    head.headers.add("vary", "accept-encoding");
  }
  if (coding_ == compress::Coding::kIdentity) return proxy::Verdict::kContinue;
  encoder_ = compress::make_encoder(coding_, policy_.levels[static_cast<std::size_t>(coding_)]);
  if (!encoder_) return proxy::Verdict::kContinue;  // no memory for its state: send as it is

  head.headers.set("content-encoding", compress::coding_token(coding_));
  head.headers.remove("content-length");
  head.framing = http::BodyFraming::kChunked;
  head.content_length = 0;
  // Ranges address the unencoded bytes; an encoded body offers none (RFC 9110 §14.3).
  head.headers.remove("accept-ranges");
  // A strong validator promises identical bytes, which another encoder or level would not give
  // (RFC 9110 §8.8.3); a weak one still identifies the representation for revalidation.
  if (const std::string_view etag = head.headers.get("etag");
      !etag.empty() && !etag.starts_with("W/")) {
    core::Arena& arena = ctx.arena();
    std::string weak = "W/";
    weak.append(etag);
    head.headers.set("etag", arena.copy(weak));
  }
  return proxy::Verdict::kContinue;
}

std::string& CompressionFilter::next_output() noexcept {
  std::string& out = outputs_[next_output_];
  next_output_ = (next_output_ + 1) % kOutputs;
  out.clear();
  return out;
}

proxy::Verdict CompressionFilter::on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                                   proxy::Context& ctx) {
  if (!encoder_) return proxy::Verdict::kContinue;
  if (chunk.data().empty() && !end_stream) return proxy::Verdict::kContinue;
  std::string& out = next_output();
  core::Result<void> encoded;
  if (!chunk.data().empty()) encoded = encoder_->encode(chunk.data(), out);
  if (encoded && end_stream) {
    encoded = encoder_->finish(out);
    encoder_.reset();  // its state is freed now, not when the stream ends
  }
  if (!encoded) {
    // The head is out: only an incomplete response can tell the client.
    return ctx.respond({.status = 500, .detail = encoded.error().detail});
  }
  chunk.replace(out);
  return proxy::Verdict::kContinue;
}

}  // namespace bulwark::filters
