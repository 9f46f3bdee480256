#include "proxy/error_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "http/status.h"

namespace bulwark::proxy {
namespace {

// Media types are case-insensitive (RFC 9110 §8.3.1).
bool contains_icase(std::string_view text, std::string_view needle) {
  const auto it =
      std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return it != text.end();
}

bool prefers_json(std::string_view accept) {
  return contains_icase(accept, "application/json") || contains_icase(accept, "+json");
}

// Details are static strings written by bulwark, but they still go through escaping so that a
// future caller cannot turn one into markup.
std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_json(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ErrorPage render_error_page(std::uint16_t status, std::string_view detail,
                            std::string_view request_id, std::string_view accept) {
  const std::string_view reason = http::reason_phrase(status);
  if (prefers_json(accept)) {
    return {fmt::format(R"({{"status":{},"error":"{}","detail":"{}","request_id":"{}"}})"
                        "\n",
                        status, escape_json(reason), escape_json(detail), escape_json(request_id)),
            "application/json"};
  }
  return {fmt::format("<!DOCTYPE html>\n<html><head><title>{0} {1}</title></head>\n"
                      "<body><h1>{0} {1}</h1>\n<p>{2}</p>\n<p>Request ID: {3}</p></body></html>\n",
                      status, escape_html(reason), escape_html(detail), escape_html(request_id)),
          "text/html; charset=utf-8"};
}

const config::ErrorPage* find_error_page(const config::Config& config,
                                         std::uint16_t status) noexcept {
  for (const config::ErrorPage& page : config.error_pages) {
    if (page.status == status) return &page;
  }
  return nullptr;
}

std::span<const http::HeaderField> fields_kept_by_error_page(const http::HeaderMap& headers,
                                                             core::Arena& arena) {
  static constexpr std::array<std::string_view, 3> kKept{"www-authenticate", "retry-after",
                                                         "allow"};
  const auto kept = [](const http::HeaderField& field) {
    return std::ranges::any_of(
        kKept, [&field](std::string_view name) { return http::iequals(field.name, name); });
  };
  const auto count = static_cast<std::size_t>(std::ranges::count_if(headers, kept));
  if (count == 0) return {};
  auto* fields = static_cast<http::HeaderField*>(
      arena.allocate(sizeof(http::HeaderField) * count, alignof(http::HeaderField)));
  std::ranges::copy_if(headers, fields, kept);
  return {fields, count};
}

bool intercept_upstream_error(const config::Config& config, const http::ResponseHead& response,
                              Context& ctx) {
  const config::ErrorPage* page = find_error_page(config, response.status);
  if (page == nullptr || !page->intercept_upstream) return false;
  // An empty body: the reply takes the configured page, as every local error reply does.
  ctx.respond({.status = response.status,
               .headers = fields_kept_by_error_page(response.headers, ctx.arena())});
  return true;
}

}  // namespace bulwark::proxy
