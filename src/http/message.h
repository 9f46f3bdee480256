#pragma once
// Message heads as the codecs produce and consume them. Every string_view points either into the
// connection's read buffer (parsed) or into the stream's arena (added or rewritten by a filter).
// Protocol-neutral on purpose: the HTTP/2 codec fills the same structures.

#include <cstdint>
#include <memory_resource>
#include <string_view>

#include "http/header_map.h"

namespace bulwark::http {

enum class Method : std::uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kOther,
};

// Maps a method token to its enum (case-sensitive, RFC 9110 §9.1); kOther for the rest.
Method method_from_token(std::string_view token) noexcept;
// RFC 9110 §9.2.2: safe methods plus PUT and DELETE.
bool is_idempotent(Method method) noexcept;

// How the body of a message is delimited (RFC 9112 §6).
enum class BodyFraming : std::uint8_t {
  kNone,           // no body at all
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding, possibly with trailers
  kUntilClose,     // responses only: everything until the connection closes
};

// RFC 9112 §3.2: the form the request-target was sent in.
enum class TargetForm : std::uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };

struct RequestHead {
  explicit RequestHead(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : headers(memory) {}

  std::string_view method_token;  // as received, e.g. "GET"
  Method method = Method::kGet;
  std::string_view target;  // the request-target as received
  TargetForm target_form = TargetForm::kOrigin;
  // For absolute-form: the scheme and authority from the target. For other forms: empty.
  std::string_view scheme;
  std::string_view authority;
  // Path and query in origin-form ("/a?b"); for absolute-form the part after the authority ("/"
  // when it is empty); for authority- and asterisk-form the target itself.
  std::string_view path;
  std::uint8_t version_minor = 1;  // HTTP/1.<minor>; HTTP/2 sets 1 as well
  bool http2 = false;              // came over HTTP/2 (h2::ServerSession)
  // The protocol an upgrade asks for: HTTP/1.1's Upgrade field, HTTP/2 extended CONNECT's
  // :protocol (RFC 8441), e.g. "websocket"; `upgrade` is set too.
  std::string_view protocol;
  HeaderMap headers;

  // Derived by the codec from the headers (the filters must not have to re-derive them).
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;        // persistent connection per RFC 9112 §9.3
  bool expect_continue = false;  // Expect: 100-continue
  bool upgrade = false;          // Upgrade requested (with Connection: upgrade)
  // TE named "trailers": the client takes trailers. TE is hop-by-hop, so the forwarding filter
  // removes the field and keeps this; HTTP/2 to a backend sends "te: trailers" for it (gRPC
  // servers require it).
  bool te_trailers = false;

  // The host the request is for: the absolute-form authority, else the Host header.
  [[nodiscard]] std::string_view host() const noexcept {
    return target_form == TargetForm::kAbsolute ? authority : headers.get("host");
  }
};

struct ResponseHead {
  explicit ResponseHead(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : headers(memory) {}

  std::uint16_t status = 200;
  std::string_view reason;  // as received; empty for local responses (the codec supplies one)
  std::uint8_t version_minor = 1;
  HeaderMap headers;

  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
};

// RFC 9112 §6.3 rule 1: responses that never have a body, whatever their headers say.
constexpr bool response_has_no_body(bool request_was_head, std::uint16_t status) noexcept {
  return request_was_head || (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace bulwark::http
