#include "http/fastcgi/cgi_head_parser.h"

#include <array>

#include "http/h1/field_parser.h"

namespace bulwark::http::fastcgi {
namespace {

using core::ErrorKind;
using core::fail;

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// "Status: 3DIGIT [SP reason-phrase]"; CGI statuses are final ones.
core::Result<void> parse_status(std::string_view value, ResponseHead& out) {
  if (value.size() < 3 || !is_digit(value[0]) || !is_digit(value[1]) || !is_digit(value[2]) ||
      value[0] < '2' || (value.size() > 3 && value[3] != ' ')) {
    return fail(ErrorKind::kUpstreamProtocol, "a CGI Status field is malformed");
  }
  out.status =
      static_cast<std::uint16_t>((value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0'));
  out.reason = value.size() > 3 ? h1::detail::trim_ows(value.substr(4)) : std::string_view{};
  return {};
}

}  // namespace

core::Result<std::size_t> CgiHeadParser::parse(std::string_view data, ResponseHead& out,
                                               bool request_was_head) {
  for (;;) {
    const std::size_t lf = data.find('\n', scanned_);
    if (lf == std::string_view::npos) {
      scanned_ = data.size();
      if (data.size() > limits_.max_header_bytes) {
        return fail(ErrorKind::kUpstreamProtocol, "the CGI response head is too large");
      }
      return 0;
    }
    if (lf + 1 > limits_.max_header_bytes) {
      return fail(ErrorKind::kUpstreamProtocol, "the CGI response head is too large");
    }
    const std::size_t line_start = line_start_;
    scanned_ = line_start_ = lf + 1;
    const bool empty = lf == line_start || (lf == line_start + 1 && data[line_start] == '\r');
    if (!empty) {
      if (++lines_ > limits_.max_header_count) {
        return fail(ErrorKind::kUpstreamProtocol, "the CGI response head has too many fields");
      }
      continue;
    }
    if (auto parsed = parse_fields(data.substr(0, line_start), out, request_was_head); !parsed) {
      return std::unexpected(parsed.error());
    }
    return scanned_;
  }
}

core::Result<void> CgiHeadParser::parse_fields(std::string_view head, ResponseHead& out,
                                               bool request_was_head) const {
  out.headers.clear();
  out.status = 200;
  out.reason = {};
  out.version_minor = 1;
  out.keep_alive = true;
  bool has_status = false;
  bool has_location = false;
  while (!head.empty()) {
    const std::size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf + 1);
    if (line.back() == '\r') line.remove_suffix(1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(ErrorKind::kUpstreamProtocol, "a CGI header line has no field name");
    }
    const std::string_view name = line.substr(0, colon);
    for (const char c : name) {
      if (!h1::detail::is_tchar(c)) {
        return fail(ErrorKind::kUpstreamProtocol, "a CGI field name is invalid");
      }
    }
    const std::string_view value = h1::detail::trim_ows(line.substr(colon + 1));
    for (const char c : value) {
      if (!h1::detail::is_field_value_char(c)) {
        return fail(ErrorKind::kUpstreamProtocol, "a CGI field value is invalid");
      }
    }
    if (iequals(name, "status")) {
      if (has_status) return fail(ErrorKind::kUpstreamProtocol, "two CGI Status fields");
      has_status = true;
      if (auto status = parse_status(value, out); !status) return status;
      continue;
    }
    has_location = has_location || iequals(name, "location");
    out.headers.add(name, value);
  }
  if (has_location && !has_status) out.status = 302;
  static constexpr std::array<std::string_view, 3> kConnectionFields{"connection", "keep-alive",
                                                                     "transfer-encoding"};
  for (const std::string_view name : kConnectionFields)
    out.headers.remove(name);

  auto length = h1::detail::parse_content_length(out.headers);
  if (!length) return fail(ErrorKind::kUpstreamProtocol, "a CGI Content-Length is invalid");
  out.content_length = length->value;
  if (response_has_no_body(request_was_head, out.status)) {
    out.framing = BodyFraming::kNone;
  } else if (length->present) {
    out.framing = BodyFraming::kContentLength;
  } else {
    out.framing = BodyFraming::kUntilClose;
  }
  return {};
}

}  // namespace bulwark::http::fastcgi
