#include "http/h1/response_parser.h"

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;
using core::fail;

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason-phrase]. The SP before an empty reason is
// optional here because many servers omit it and nothing depends on it.
core::Result<void> parse_status_line(std::string_view line, ResponseHead& out) {
  // The scanner only split at CRLF; any CR left inside the line is a bare one.
  if (line.find('\r') != std::string_view::npos) {
    return fail(ErrorKind::kBadRequest, "bare CR in status line");
  }
  auto version = detail::parse_http_version(line.substr(0, 8));
  if (!version) return std::unexpected(version.error());
  out.version_minor = *version;
  if (line.size() < 12 || line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) ||
      !is_digit(line[11]) || line[9] == '0') {
    return fail(ErrorKind::kBadRequest, "malformed status code");
  }
  out.status =
      static_cast<std::uint16_t>((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
  out.reason = {};
  if (line.size() == 12) return {};
  if (line[12] != ' ') return fail(ErrorKind::kBadRequest, "malformed status code");
  const std::string_view reason = line.substr(13);
  for (const char c : reason) {
    if (!detail::is_field_value_char(c)) {
      return fail(ErrorKind::kBadRequest, "invalid character in reason phrase");
    }
  }
  out.reason = reason;
  return {};
}

// True when every coding named in Transfer-Encoding is "chunked" (parameters and case aside).
bool only_chunked_codings(const HeaderMap& headers) {
  for (const HeaderField& field : headers) {
    if (!iequals(field.name, "transfer-encoding")) continue;
    std::string_view list = field.value;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view element = list.substr(0, comma);
      element = element.substr(0, element.find(';'));
      while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
        element.remove_prefix(1);
      }
      while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
        element.remove_suffix(1);
      }
      if (!element.empty() && !iequals(element, "chunked")) return false;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return true;
}

// RFC 9112 §6.3, in its order: no-body statuses, then Transfer-Encoding, then Content-Length,
// then read until close. A message with both is refused rather than resolved (rule 3 calls it a
// likely smuggling attempt).
core::Result<void> derive_framing(ResponseHead& out, bool request_was_head) {
  auto length = detail::parse_content_length(out.headers);
  if (!length) return std::unexpected(length.error());
  auto coding = detail::parse_transfer_encoding(out.headers);
  if (!coding) return std::unexpected(coding.error());
  out.content_length = length->value;
  if (*coding != detail::TransferCoding::kAbsent) {
    if (length->present) {
      return fail(ErrorKind::kBadRequest, "both Content-Length and Transfer-Encoding");
    }
    // RFC 9112 §6.1: such framing is faulty.
    if (out.version_minor == 0) {
      return fail(ErrorKind::kBadRequest, "Transfer-Encoding in an HTTP/1.0 response");
    }
  }
  using detail::TransferCoding;
  // bulwark removes the chunked framing and applies its own; another transfer coding (gzip,
  // chunked) would reach the client without the field that names it. Such responses are rare
  // enough to refuse rather than carry the coding through.
  if (*coding == TransferCoding::kChunked || *coding == TransferCoding::kNotChunked) {
    if (!only_chunked_codings(out.headers)) {
      return fail(ErrorKind::kBadRequest, "transfer codings other than chunked are not supported");
    }
  }
  if (response_has_no_body(request_was_head, out.status)) {
    out.framing = BodyFraming::kNone;
  } else if (*coding == TransferCoding::kChunked || *coding == TransferCoding::kChunkedOnly) {
    out.framing = BodyFraming::kChunked;
  } else if (*coding == TransferCoding::kAbsent && length->present) {
    out.framing = BodyFraming::kContentLength;
  } else {
    // Codings without chunked (rule 4) or no framing fields at all (rule 8).
    out.framing = BodyFraming::kUntilClose;
  }
  if (out.framing == BodyFraming::kChunked) out.content_length = 0;
  return {};
}

core::Result<void> parse_head(const detail::HeadScanner& scanner, std::string_view data,
                              ResponseHead& out, bool request_was_head) {
  if (auto r = parse_status_line(scanner.start_line(data), out); !r) return r;
  out.headers.clear();
  if (auto r = detail::parse_field_section(scanner.field_lines(data), out.headers); !r) return r;
  if (auto r = derive_framing(out, request_was_head); !r) return r;
  out.keep_alive = out.framing != BodyFraming::kUntilClose &&
                   detail::wants_keep_alive(out.headers, out.version_minor);
  return {};
}

}  // namespace

ResponseParser::ResponseParser(const ParserLimits& limits)
    : scanner_(limits, detail::HeadScanner::Shape::kStartLineAndFields) {}

core::Result<std::size_t> ResponseParser::parse(std::string_view data, ResponseHead& out,
                                                bool request_was_head) {
  auto length = scanner_.scan(data);
  if (length && *length != 0) {
    if (auto r = parse_head(scanner_, data, out, request_was_head); !r) {
      length = std::unexpected(r.error());
    }
  }
  if (!length) return fail(ErrorKind::kUpstreamProtocol, length.error().detail);
  return length;
}

}  // namespace bulwark::http::h1
