#include "http/h1/serializer.h"

#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "http/status.h"

namespace bulwark::http::h1 {
namespace {

// Appends into a fixed buffer; once something does not fit, everything after is dropped and
// size() reports 0, so callers test once at the end.
class Writer {
 public:
  explicit Writer(std::span<char> out) noexcept : out_(out) {}

  void put(std::string_view text) noexcept {
    if (overflow_ || text.size() > out_.size() - used_) {
      overflow_ = true;
      return;
    }
    if (!text.empty()) std::memcpy(out_.data() + used_, text.data(), text.size());
    used_ += text.size();
  }

  void put_decimal(std::uint64_t value) noexcept {
    char digits[20];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    put(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
  }

  void put_field(std::string_view name, std::string_view value) noexcept {
    put(name);
    put(": ");
    put(value);
    put(kCrlf);
  }

  [[nodiscard]] std::size_t size() const noexcept { return overflow_ ? 0 : used_; }

 private:
  std::span<char> out_;
  std::size_t used_ = 0;
  bool overflow_ = false;
};

std::string_view method_name(Method method) noexcept {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kConnect:
      return "CONNECT";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kTrace:
      return "TRACE";
    case Method::kPatch:
      return "PATCH";
    case Method::kOther:
      break;
  }
  return {};
}

// Writes the fields that are not derived from the head's framing and persistence state.
void put_fields(Writer& w, const HeaderMap& headers, bool keep_content_length) noexcept {
  for (const HeaderField& field : headers) {
    if (iequals(field.name, "transfer-encoding") || iequals(field.name, "connection")) continue;
    if (!keep_content_length && iequals(field.name, "content-length")) continue;
    w.put_field(field.name, field.value);
  }
}

void put_framing(Writer& w, BodyFraming framing, std::uint64_t content_length) noexcept {
  if (framing == BodyFraming::kContentLength) {
    w.put("Content-Length: ");
    w.put_decimal(content_length);
    w.put(kCrlf);
  } else if (framing == BodyFraming::kChunked) {
    w.put("Transfer-Encoding: chunked\r\n");
  }
}

}  // namespace

std::size_t write_request_head(const RequestHead& head, std::span<char> out) noexcept {
  Writer w(out);
  const std::string_view method =
      head.method_token.empty() ? method_name(head.method) : head.method_token;
  assert(!method.empty() && "a request needs a method");
  std::string_view path = head.path;
  if (path.empty()) path = head.target.empty() ? std::string_view("/") : head.target;
  w.put(method);
  w.put(" ");
  w.put(path);
  w.put(" HTTP/1.1\r\n");
  put_fields(w, head.headers, false);
  put_framing(w, head.framing, head.content_length);
  // Upstream connections are HTTP/1.1, where persistence is the default.
  if (head.upgrade) {
    w.put("Upgrade: ");
    w.put(head.protocol);
    w.put("\r\nConnection: upgrade\r\n");
  } else if (!head.keep_alive) {
    w.put("Connection: close\r\n");
  }
  w.put(kCrlf);
  return w.size();
}

std::size_t write_response_head(const ResponseHead& head, std::span<char> out) noexcept {
  assert(head.status >= 100 && head.status <= 999);
  Writer w(out);
  const char status[] = {static_cast<char>('0' + head.status / 100 % 10),
                         static_cast<char>('0' + head.status / 10 % 10),
                         static_cast<char>('0' + head.status % 10)};
  w.put("HTTP/1.1 ");
  w.put(std::string_view(status, sizeof status));
  w.put(" ");
  w.put(head.reason.empty() ? reason_phrase(head.status) : head.reason);
  w.put(kCrlf);
  put_fields(w, head.headers, head.framing == BodyFraming::kNone);
  put_framing(w, head.framing, head.content_length);
  if (head.status == 101) {
    w.put("Connection: upgrade\r\n");
  } else if (head.version_minor == 0) {
    if (head.keep_alive) w.put("Connection: keep-alive\r\n");
  } else if (!head.keep_alive) {
    w.put("Connection: close\r\n");
  }
  w.put(kCrlf);
  return w.size();
}

std::string_view write_chunk_header(std::size_t size, std::span<char, 18> out) noexcept {
  // 16 hex digits hold any 64-bit size, leaving two bytes for the CRLF.
  const auto result = std::to_chars(out.data(), out.data() + 16, size, 16);
  char* end = result.ptr;
  *end++ = '\r';
  *end++ = '\n';
  return {out.data(), static_cast<std::size_t>(end - out.data())};
}

std::size_t write_last_chunk_with_trailers(const HeaderMap& trailers,
                                           std::span<char> out) noexcept {
  Writer w(out);
  w.put("0\r\n");
  for (const HeaderField& field : trailers) {
    w.put_field(field.name, field.value);
  }
  w.put(kCrlf);
  return w.size();
}

}  // namespace bulwark::http::h1
