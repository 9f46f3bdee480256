#include "filters/forwarding/forwarding_filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace bulwark::filters {
namespace {

// RFC 9110 §7.6.1 plus Keep-Alive, Trailer and every Proxy-* field. Runs twice per request on
// every field, so it looks at the length before comparing any bytes.
bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return http::iequals(name, "te");
    case 7:
      return http::iequals(name, "trailer") || http::iequals(name, "upgrade");
    case 10:
      return http::iequals(name, "connection") || http::iequals(name, "keep-alive");
    case 17:
      return http::iequals(name, "transfer-encoding");
    default:
      return name.size() > 6 && (name[0] | 0x20) == 'p' &&
             http::iequals(name.substr(0, 6), "proxy-");
  }
}

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), is_tchar);
}

// RFC 7239 §4 and §6: a value that is not a token is quoted (IPv6 nodes are also bracketed).
// Quoting is what stops a client from smuggling a second element in through its Host, such as
// "a.example,for=6.6.6.6".
void append_node(fmt::memory_buffer& out, std::string_view name, std::string_view value,
                 bool is_ipv6) {
  out.append(name);
  out.push_back('=');
  if (is_ipv6) {
    out.append(std::string_view("\"["));
    out.append(value);
    out.append(std::string_view("]\""));
    return;
  }
  if (is_token(value)) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string_view to_arena(proxy::Context& ctx, const fmt::memory_buffer& text) {
  return ctx.arena().copy(std::string_view(text.data(), text.size()));
}

// Sets `name` to its incoming values (every field line, in order) followed by `addition` when the
// incoming values are to be kept; else to `addition` alone.
void extend_or_set(http::HeaderMap& headers, std::string_view name, std::string_view addition,
                   bool keep_incoming, proxy::Context& ctx) {
  fmt::memory_buffer text;
  if (keep_incoming) {
    for (const http::HeaderField& field : headers) {
      if (!http::iequals(field.name, name) || field.value.empty()) continue;
      text.append(field.value);
      text.append(std::string_view(", "));
    }
  }
  if (text.size() == 0) {
    headers.set(name, addition);
    return;
  }
  text.append(addition);
  headers.set(name, to_arena(ctx, text));
}

// `version`: the protocol version of the message as received ("1.0", "1.1" or "2").
void add_via(http::HeaderMap& headers, std::string_view version, std::string_view via,
             proxy::Context& ctx) {
  if (via.empty()) return;
  fmt::memory_buffer hop;
  hop.append(version);
  hop.push_back(' ');
  hop.append(via);
  // Via is a list that every intermediary extends; earlier hops are never dropped.
  extend_or_set(headers, "via", to_arena(ctx, hop), true, ctx);
}

}  // namespace

void remove_hop_by_hop(http::HeaderMap& headers) {
  // The fields Connection names are collected first: removal invalidates iteration. Names beyond
  // the first kMaxNamed are left in place; a message naming that many is not worth more work.
  constexpr std::size_t kMaxNamed = 32;
  std::array<std::string_view, kMaxNamed> named{};
  std::size_t named_count = 0;
  for (const http::HeaderField& field : headers) {
    if (!http::iequals(field.name, "connection")) continue;
    std::string_view list = field.value;
    while (!list.empty() && named_count < kMaxNamed) {
      const std::size_t comma = list.find(',');
      std::string_view token = list.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      // Content-Length frames the message; the serializer derives it, so it is never stripped.
      if (!token.empty() && !http::iequals(token, "content-length")) named[named_count++] = token;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  headers.remove_if([&](const http::HeaderField& f) {
    if (is_hop_by_hop(f.name)) return true;
    for (std::size_t i = 0; i < named_count; ++i) {
      if (http::iequals(f.name, named[i])) return true;
    }
    return false;
  });
}

proxy::Verdict ForwardingFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                    proxy::Context& ctx) {
  if (const std::string_view te = head.headers.get("te"); !te.empty()) {
    head.te_trailers = http::has_token(te, "trailers");
  }
  remove_hop_by_hop(head.headers);
  add_via(head.headers,
          head.http2                ? "2"
          : head.version_minor == 0 ? "1.0"
                                    : "1.1",
          settings_.via, ctx);

  const proxy::StreamInfo& info = ctx.info();
  const bool trusted = info.client_trusted;
  const std::string_view host = head.host();
  http::HeaderMap& headers = head.headers;
  if (settings_.x_forwarded) {
    extend_or_set(headers, "x-forwarded-for", info.client_address_text, trusted, ctx);
    if (!trusted || !headers.has("x-forwarded-proto"))
      headers.set("x-forwarded-proto", info.scheme);
    if (!trusted || !headers.has("x-forwarded-host")) {
      if (host.empty()) {
        headers.remove("x-forwarded-host");
      } else {
        headers.set("x-forwarded-host", host);
      }
    }
  } else if (!trusted) {
    // Not adding these is a choice; passing a stranger's claims on is not.
    headers.remove("x-forwarded-for");
    headers.remove("x-forwarded-proto");
    headers.remove("x-forwarded-host");
  }
  if (settings_.forwarded) {
    fmt::memory_buffer element;
    append_node(element, "for", info.client_address_text, info.client_address.is_v6());
    element.push_back(';');
    append_node(element, "proto", info.scheme, false);
    if (!host.empty()) {
      element.push_back(';');
      append_node(element, "host", host, false);
    }
    extend_or_set(headers, "forwarded", to_arena(ctx, element), trusted, ctx);
  } else if (!trusted) {
    headers.remove("forwarded");
  }
  return proxy::Verdict::kContinue;
}

proxy::Verdict ForwardingFilter::on_response_headers(http::ResponseHead& head, bool /*end_stream*/,
                                                     proxy::Context& ctx) {
  remove_hop_by_hop(head.headers);
  // The version received.
  add_via(head.headers, head.version_minor == 0 ? "1.0" : "1.1", settings_.via, ctx);
  return proxy::Verdict::kContinue;
}

}  // namespace bulwark::filters
