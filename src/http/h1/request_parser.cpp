#include "http/h1/request_parser.h"

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;
using core::fail;

// RFC 9112 §3.2: any visible byte; never whitespace, a control byte or DEL.
constexpr bool is_target_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7F;
}

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// RFC 9112 §3: method SP request-target SP HTTP-version, with exactly one SP between them.
core::Result<void> parse_request_line(std::string_view line, RequestHead& out) {
  // The scanner only split at CRLF; any CR left inside the line is a bare one.
  if (line.find('\r') != std::string_view::npos) {
    return fail(ErrorKind::kBadRequest, "bare CR in request line");
  }
  std::size_t i = 0;
  while (i < line.size() && detail::is_tchar(line[i])) {
    ++i;
  }
  if (i == 0) {
    return fail(ErrorKind::kBadRequest, line[0] == ' ' ? "request line starts with whitespace"
                                                       : "invalid character in method");
  }
  if (i == line.size()) return fail(ErrorKind::kBadRequest, "request line has no target");
  if (line[i] != ' ') return fail(ErrorKind::kBadRequest, "invalid character in method");
  out.method_token = line.substr(0, i);
  out.method = method_from_token(out.method_token);

  const std::size_t target_begin = ++i;
  while (i < line.size() && is_target_char(line[i])) {
    ++i;
  }
  if (i == target_begin) {
    if (i < line.size() && line[i] == ' ') {
      return fail(ErrorKind::kBadRequest, "more than one space in request line");
    }
    return fail(ErrorKind::kBadRequest,
                i == line.size() ? "empty request target" : "invalid character in request target");
  }
  if (i == line.size()) return fail(ErrorKind::kBadRequest, "request line has no HTTP version");
  if (line[i] != ' ') return fail(ErrorKind::kBadRequest, "invalid character in request target");
  out.target = line.substr(target_begin, i - target_begin);

  ++i;
  if (i < line.size() && line[i] == ' ') {
    return fail(ErrorKind::kBadRequest, "more than one space in request line");
  }
  auto version = detail::parse_http_version(line.substr(i));
  if (!version) return std::unexpected(version.error());
  out.version_minor = *version;
  return {};
}

// RFC 9112 §3.2.3: uri-host ":" port, for CONNECT.
bool is_authority_form(std::string_view target) noexcept {
  const std::size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
  const std::string_view host = target.substr(0, colon);
  const std::string_view port = target.substr(colon + 1);
  if (port.size() > 5) return false;
  for (const char c : port) {
    if (!is_digit(c)) return false;
  }
  // An IPv6 literal keeps its colons inside brackets; a bare host has none.
  const bool literal = host.front() == '[' && host.back() == ']';
  if (!literal && host.find_first_of(":[]") != std::string_view::npos) return false;
  return detail::is_valid_host(host);
}

// RFC 9112 §3.2: which of the four forms the target is in; splits absolute-form into its parts.
core::Result<void> classify_target(RequestHead& out) {
  const std::string_view target = out.target;
  out.scheme = {};
  out.authority = {};
  out.path = target;
  if (out.method == Method::kConnect) {
    if (!is_authority_form(target)) {
      return fail(ErrorKind::kBadRequest, "CONNECT needs an authority-form target");
    }
    out.target_form = TargetForm::kAuthority;
    return {};
  }
  if (target.front() == '/') {
    out.target_form = TargetForm::kOrigin;
    return {};
  }
  if (target == "*") {
    if (out.method != Method::kOptions) {
      return fail(ErrorKind::kBadRequest, "asterisk-form target is only for OPTIONS");
    }
    out.target_form = TargetForm::kAsterisk;
    return {};
  }
  std::size_t scheme_size = 0;
  if (starts_with_ignoring_case(target, "http://")) {
    scheme_size = 4;
  } else if (starts_with_ignoring_case(target, "https://")) {
    scheme_size = 5;
  } else {
    return fail(ErrorKind::kBadRequest, "invalid request target");
  }
  const std::string_view rest = target.substr(scheme_size + 3);
  const std::size_t path_begin = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_begin);
  if (authority.empty()) return fail(ErrorKind::kBadRequest, "absolute-form target without host");
  // Rejects userinfo as RFC 9110 §4.2.4 advises: "http://good@evil/" fools people and filters.
  if (!detail::is_valid_host(authority)) {
    return fail(ErrorKind::kBadRequest, "invalid authority in request target");
  }
  out.target_form = TargetForm::kAbsolute;
  out.scheme = target.substr(0, scheme_size);
  out.authority = authority;
  if (path_begin == std::string_view::npos) {
    out.path = "/";
  } else if (rest[path_begin] == '?') {
    // The origin-form would be "/?query", which is not a view of the input.
    return fail(ErrorKind::kBadRequest, "absolute-form target with a query but no path");
  } else {
    out.path = rest.substr(path_begin);
  }
  return {};
}

// RFC 9112 §3.2: exactly one valid Host on HTTP/1.1, at most one on HTTP/1.0.
core::Result<void> check_host(RequestHead& out) {
  HeaderField* host = nullptr;
  for (HeaderField& field : out.headers) {
    if (!iequals(field.name, "host")) continue;
    if (host != nullptr) return fail(ErrorKind::kBadRequest, "more than one Host field");
    host = &field;
  }
  if (host == nullptr) {
    if (out.version_minor >= 1) return fail(ErrorKind::kBadRequest, "missing Host field");
    if (out.target_form == TargetForm::kAbsolute) out.headers.add("Host", out.authority);
    return {};
  }
  if (!detail::is_valid_host(host->value)) {
    return fail(ErrorKind::kBadRequest, "invalid Host field");
  }
  // RFC 9112 §3.2.2: the target's authority wins over a Host field that disagrees.
  if (out.target_form == TargetForm::kAbsolute) host->value = out.authority;
  return {};
}

// RFC 9112 §6.1-§6.3 for requests: only "chunked" alone, only on HTTP/1.1, never with a
// Content-Length; several Content-Length values must agree.
core::Result<void> derive_framing(RequestHead& out) {
  auto length = detail::parse_content_length(out.headers);
  if (!length) return std::unexpected(length.error());
  auto coding = detail::parse_transfer_encoding(out.headers);
  if (!coding) return std::unexpected(coding.error());
  out.content_length = 0;
  if (*coding != detail::TransferCoding::kAbsent) {
    if (length->present) {
      return fail(ErrorKind::kBadRequest, "both Content-Length and Transfer-Encoding");
    }
    if (out.version_minor == 0) {
      return fail(ErrorKind::kBadRequest, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (*coding != detail::TransferCoding::kChunkedOnly) {
      return fail(ErrorKind::kBadRequest, "Transfer-Encoding other than chunked");
    }
    out.framing = BodyFraming::kChunked;
    return {};
  }
  if (length->present) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = length->value;
    return {};
  }
  out.framing = BodyFraming::kNone;
  return {};
}

void derive_connection(RequestHead& out) {
  out.keep_alive = detail::wants_keep_alive(out.headers, out.version_minor);
  // RFC 9110 §10.1.1 and §7.8: HTTP/1.0 peers get neither 100-continue nor an upgrade.
  out.expect_continue = false;
  out.upgrade = false;
  if (out.version_minor == 0) return;
  for (const HeaderField& field : out.headers) {
    if (iequals(field.name, "expect") && iequals(field.value, "100-continue")) {
      out.expect_continue = true;
    }
  }
  out.upgrade = out.headers.has("upgrade") && detail::connection_has(out.headers, "upgrade");
  // Kept apart from the Upgrade field, which is hop-by-hop and goes before any filter runs.
  if (out.upgrade) out.protocol = out.headers.get("upgrade");
}

}  // namespace

RequestParser::RequestParser(const ParserLimits& limits)
    : scanner_(limits, detail::HeadScanner::Shape::kStartLineAndFields) {}

core::Result<std::size_t> RequestParser::parse(std::string_view data, RequestHead& out) {
  auto length = scanner_.scan(data);
  if (!length || *length == 0) return length;
  if (auto r = parse_request_line(scanner_.start_line(data), out); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = classify_target(out); !r) return std::unexpected(r.error());
  out.headers.clear();
  if (auto r = detail::parse_field_section(scanner_.field_lines(data), out.headers); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = check_host(out); !r) return std::unexpected(r.error());
  if (auto r = derive_framing(out); !r) return std::unexpected(r.error());
  derive_connection(out);
  return length;
}

}  // namespace bulwark::http::h1
