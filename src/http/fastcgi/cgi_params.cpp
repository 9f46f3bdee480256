#include "http/fastcgi/cgi_params.h"

#include <array>
#include <charconv>

#include "http/hex_digit.h"

namespace bulwark::http::fastcgi {
namespace {

using core::ErrorKind;
using core::fail;

constexpr std::string_view kPhpPathInfo = ".php/";

// The path with its escapes decoded, in `scratch` when it had any.
core::Result<std::string_view> decode_path(std::string_view path, std::string& scratch) {
  if (path.find('%') == std::string_view::npos) return path;
  scratch.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      scratch.push_back(path[i]);
      continue;
    }
    const int high = i + 2 < path.size() ? hex_digit_value(path[i + 1]) : -1;
    const int low = high >= 0 ? hex_digit_value(path[i + 2]) : -1;
    if (low < 0) return fail(ErrorKind::kBadRequest, "a malformed escape in the path");
    const char c = static_cast<char>(high * 16 + low);
    if (c == '\0') return fail(ErrorKind::kBadRequest, "an escaped NUL in the path");
    scratch.push_back(c);
    i += 2;
  }
  const std::string_view decoded = scratch;
  for (std::size_t start = 0; start < decoded.size();) {
    const std::size_t slash = decoded.find('/', start);
    const std::string_view segment = decoded.substr(start, slash - start);
    if (segment == "." || segment == "..") {
      return fail(ErrorKind::kBadRequest, "an escaped dot segment in the path");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return decoded;
}

// The host of a Host value, without its port: "[::1]:80" -> "[::1]", "a.b:80" -> "a.b".
std::string_view host_name(std::string_view host) {
  const std::size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) {
    return host;
  }
  return host.substr(0, colon);
}

// A field CGI passes as HTTP_*: not Proxy, not ones with their own variable, no '_' in the name.
bool passed_as_http(std::string_view name) {
  return name.find('_') == std::string_view::npos && !iequals(name, "proxy") &&
         !iequals(name, "content-type") && !iequals(name, "content-length");
}

void write_header_params(const HeaderMap& headers, RequestWriter& out) {
  for (auto field = headers.begin(); field != headers.end(); ++field) {
    if (!passed_as_http(field->name)) continue;
    // A repeated field goes out once, at its first occurrence, with every value.
    bool seen = false;
    for (auto earlier = headers.begin(); earlier != field && !seen; ++earlier)
      seen = iequals(earlier->name, field->name);
    if (seen) continue;
    const std::string_view separator = iequals(field->name, "cookie") ? "; " : ", ";
    std::size_t size = 0;
    std::size_t count = 0;
    for (auto later = field; later != headers.end(); ++later) {
      if (!iequals(later->name, field->name)) continue;
      size += later->value.size();
      ++count;
    }
    size += (count - 1) * separator.size();
    out.header_param(field->name, size);
    bool first = true;
    for (auto later = field; later != headers.end(); ++later) {
      if (!iequals(later->name, field->name)) continue;
      if (!first) out.value_bytes(separator);
      out.value_bytes(later->value);
      first = false;
    }
  }
}

std::string_view port_text(std::uint16_t port, std::span<char, 8> out) {
  const auto [end, ec] = std::to_chars(out.data(), out.data() + out.size(), port);
  return {out.data(), static_cast<std::size_t>(end - out.data())};
}

}  // namespace

core::Result<void> write_cgi_params(const RequestHead& request, const CgiContext& context,
                                    RequestWriter& out, std::string& scratch) {
  const std::size_t question = request.path.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : request.path.substr(question + 1);
  auto decoded = decode_path(request.path.substr(0, question), scratch);
  if (!decoded) return std::unexpected(decoded.error());
  const std::string_view path = *decoded;

  std::string_view script = path;
  std::string_view path_info;
  if (const std::size_t split = path.find(kPhpPathInfo); split != std::string_view::npos) {
    script = path.substr(0, split + kPhpPathInfo.size() - 1);
    path_info = path.substr(script.size());
  }
  const std::string_view index = !script.empty() && script.back() == '/' ? context.index : "";

  out.param("GATEWAY_INTERFACE", "CGI/1.1");
  out.param("SERVER_SOFTWARE", "bulwark");
  out.param("SERVER_PROTOCOL", request.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
  out.param("REQUEST_METHOD", request.method_token);
  out.param("REQUEST_URI", request.path);
  out.param("SCRIPT_NAME", {script, index});
  out.param("SCRIPT_FILENAME", {context.root, script, index});
  out.param("DOCUMENT_ROOT", context.root);
  out.param("DOCUMENT_URI", {script, index, path_info});
  if (!path_info.empty()) {
    out.param("PATH_INFO", path_info);
    out.param("PATH_TRANSLATED", {context.root, path_info});
  }
  out.param("QUERY_STRING", query);
  if (const HeaderField* type = request.headers.find("content-type")) {
    out.param("CONTENT_TYPE", type->value);
  }
  std::array<char, 24> length_text{};
  if (request.framing == BodyFraming::kContentLength) {
    const auto [end, ec] = std::to_chars(
        length_text.data(), length_text.data() + length_text.size(), request.content_length);
    out.param("CONTENT_LENGTH",
              {length_text.data(), static_cast<std::size_t>(end - length_text.data())});
  }
  std::array<char, 8> port{};
  out.param("REMOTE_ADDR", context.remote_address);
  out.param("REMOTE_PORT", port_text(context.remote_port, port));
  out.param("SERVER_NAME", host_name(request.host()));
  if (!context.server_address.empty()) out.param("SERVER_ADDR", context.server_address);
  if (context.server_port != 0) out.param("SERVER_PORT", port_text(context.server_port, port));
  out.param("REQUEST_SCHEME", context.scheme);
  if (context.scheme == "https") out.param("HTTPS", "on");
  write_header_params(request.headers, out);
  for (const auto& [name, value] : context.extra_params)
    out.param(name, value);
  return {};
}

}  // namespace bulwark::http::fastcgi
