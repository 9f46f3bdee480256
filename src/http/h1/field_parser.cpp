#include "http/h1/field_parser.h"

#include <array>
#include <cassert>
#include <cstring>
#include <limits>

namespace bulwark::http::h1::detail {
namespace {

using core::ErrorKind;
using core::fail;

// Byte-class tables: one load per byte on the hot path instead of a chain of comparisons.
constexpr std::uint8_t kTchar = 1;
constexpr std::uint8_t kValue = 2;
constexpr std::uint8_t kHost = 4;

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> table{};
  constexpr std::string_view kTcharSymbols = "!#$%&'*+-.^_`|~";
  constexpr std::string_view kHostSymbols = "-._~%!$&'()*+,;=:[]";
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    std::uint8_t bits = 0;
    if (alnum || kTcharSymbols.find(static_cast<char>(c)) != std::string_view::npos) bits |= kTchar;
    if (alnum || kHostSymbols.find(static_cast<char>(c)) != std::string_view::npos) bits |= kHost;
    // HTAB, SP, VCHAR and obs-text; never NUL, CR, LF, DEL or another control byte.
    if (c == '\t' || (c >= 0x20 && c != 0x7F)) bits |= kValue;
    table[static_cast<std::size_t>(c)] = bits;
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

constexpr bool has_class(char c, std::uint8_t bit) noexcept {
  return (kClasses[static_cast<unsigned char>(c)] & bit) != 0;
}

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Calls `visit(element)` for each element of a comma-separated list, trimmed of OWS; stops early
// and returns false when visit does.
template <class Visit>
bool for_each_element(std::string_view list, Visit visit) {
  while (true) {
    const std::size_t comma = list.find(',');
    if (!visit(trim_ows(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

bool is_tchar(char c) noexcept {
  return has_class(c, kTchar);
}
bool is_field_value_char(char c) noexcept {
  return has_class(c, kValue);
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && is_ows(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_ows(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// ---- HeadScanner ------------------------------------------------------------------------------

core::Result<void> HeadScanner::check_unterminated(std::string_view data,
                                                   std::size_t end) const noexcept {
  // A byte-by-byte caller sees the start line exceed the limit at the first prefix whose line
  // holds more than max_request_line bytes not counting a CR that may be the start of the CRLF.
  std::size_t uri_at = kNone;
  const std::size_t limit = limits_.max_request_line;
  if (in_start_line() && line_start_ + limit < end) {
    uri_at = line_start_ + limit + (data[line_start_ + limit] == '\r' ? 2 : 1);
  }
  const std::size_t header_at = limits_.max_header_bytes + 1;
  if (uri_at <= end && uri_at <= header_at) {
    return fail(ErrorKind::kUriTooLong, "start line too long");
  }
  if (header_at <= end) return fail(ErrorKind::kHeadersTooLarge, "header section too large");
  return {};
}

core::Result<std::size_t> HeadScanner::scan(std::string_view data) noexcept {
  if (head_length_ != 0) return head_length_;
  assert(data.size() >= pos_ && "the data of one message only grows");
  while (true) {
    const void* lf =
        pos_ < data.size() ? std::memchr(data.data() + pos_, '\n', data.size() - pos_) : nullptr;
    const std::size_t end =
        lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - data.data())
                      : data.size();
    if (auto checked = check_unterminated(data, end); !checked) {
      return std::unexpected(checked.error());
    }
    if (lf == nullptr) {
      pos_ = data.size();
      return 0;
    }
    // RFC 9112 §2.2 lets a recipient accept a bare LF; a proxy must not, because the next hop may
    // not, and the two would then split the stream into different messages.
    if (end == line_start_ || data[end - 1] != '\r') {
      return fail(ErrorKind::kBadRequest, "bare LF as line terminator");
    }
    const bool empty_line = end - 1 == line_start_;
    pos_ = end + 1;
    if (in_start_line()) {
      if (!empty_line) {
        start_line_begin_ = line_start_;
        start_line_end_ = end - 1;
        fields_begin_ = pos_;
      }
      line_start_ = pos_;
      continue;
    }
    if (empty_line) {
      if (pos_ > limits_.max_header_bytes) {
        return fail(ErrorKind::kHeadersTooLarge, "header section too large");
      }
      head_length_ = pos_;
      return head_length_;
    }
    if (++field_count_ > limits_.max_header_count) {
      return fail(ErrorKind::kHeadersTooLarge, "too many header fields");
    }
    line_start_ = pos_;
  }
}

std::string_view HeadScanner::start_line(std::string_view data) const noexcept {
  assert(head_length_ != 0 && shape_ == Shape::kStartLineAndFields);
  return data.substr(start_line_begin_, start_line_end_ - start_line_begin_);
}

std::string_view HeadScanner::field_lines(std::string_view data) const noexcept {
  assert(head_length_ != 0);
  // The closing empty line is the last two bytes of the head.
  return data.substr(fields_begin_, head_length_ - 2 - fields_begin_);
}

void HeadScanner::reset() noexcept {
  pos_ = 0;
  line_start_ = 0;
  start_line_begin_ = 0;
  start_line_end_ = kNone;
  fields_begin_ = 0;
  field_count_ = 0;
  head_length_ = 0;
}

// ---- Field lines ------------------------------------------------------------------------------

core::Result<void> parse_field_section(std::string_view lines, HeaderMap& out) {
  const char* p = lines.data();
  const char* const end = p + lines.size();
  while (p < end) {
    // RFC 9112 §5.2: obs-fold is rejected; the same test catches whitespace before the first
    // field (§2.2), which some servers would glue to the start line.
    if (is_ows(*p)) {
      return fail(ErrorKind::kBadRequest, "obs-fold or leading whitespace in field line");
    }
    const char* const name_begin = p;
    while (p < end && is_tchar(*p)) {
      ++p;
    }
    if (p == end || *p != ':') {
      if (p < end && is_ows(*p)) {
        // RFC 9112 §5.1: "Host : x" is rejected, never "fixed", since peers disagree on it.
        return fail(ErrorKind::kBadRequest, "whitespace between field name and colon");
      }
      if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') {
        return fail(ErrorKind::kBadRequest, "field line without colon");
      }
      return fail(ErrorKind::kBadRequest, "invalid character in field name");
    }
    if (p == name_begin) return fail(ErrorKind::kBadRequest, "empty field name");
    const std::string_view name(name_begin, static_cast<std::size_t>(p - name_begin));
    ++p;
    while (p < end && is_ows(*p)) {
      ++p;
    }
    const char* const value_begin = p;
    while (p < end && is_field_value_char(*p)) {
      ++p;
    }
    if (p == end || *p != '\r') {
      return fail(ErrorKind::kBadRequest, "invalid character in field value");
    }
    if (p + 1 == end || p[1] != '\n') return fail(ErrorKind::kBadRequest, "bare CR in field line");
    const char* value_end = p;
    while (value_end > value_begin && is_ows(value_end[-1])) {
      --value_end;
    }
    out.add(name, std::string_view(value_begin, static_cast<std::size_t>(value_end - value_begin)));
    p += 2;
  }
  return {};
}

// ---- Field semantics --------------------------------------------------------------------------

core::Result<std::uint8_t> parse_http_version(std::string_view text) noexcept {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !is_digit(text[5]) || text[6] != '.' ||
      !is_digit(text[7])) {
    return fail(ErrorKind::kBadRequest, "malformed HTTP version");
  }
  if (text[5] != '1' || (text[7] != '0' && text[7] != '1')) {
    return fail(ErrorKind::kBadRequest, "unsupported HTTP version");
  }
  return static_cast<std::uint8_t>(text[7] - '0');
}

core::Result<ContentLength> parse_content_length(const HeaderMap& headers) noexcept {
  ContentLength result;
  std::string_view error;
  for (const HeaderField& field : headers) {
    if (!iequals(field.name, "content-length")) continue;
    const bool ok = for_each_element(field.value, [&](std::string_view element) {
      if (element.empty()) {
        error = "empty Content-Length";
        return false;
      }
      std::uint64_t value = 0;
      for (const char c : element) {
        if (!is_digit(c)) {
          error = "invalid Content-Length";
          return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
          error = "Content-Length overflows";
          return false;
        }
        value = value * 10 + digit;
      }
      if (result.present && value != result.value) {
        error = "differing Content-Length values";
        return false;
      }
      result = {true, value};
      return true;
    });
    if (!ok) return fail(ErrorKind::kBadRequest, error);
  }
  return result;
}

core::Result<TransferCoding> parse_transfer_encoding(const HeaderMap& headers) noexcept {
  std::size_t fields = 0;
  bool chunked_seen = false;
  bool chunked_last = false;
  bool only_chunked = true;
  std::string_view error;
  for (const HeaderField& field : headers) {
    if (!iequals(field.name, "transfer-encoding")) continue;
    ++fields;
    const bool ok = for_each_element(field.value, [&](std::string_view element) {
      // A coding may carry parameters (";q=..."); only its name matters for framing.
      const std::string_view name = trim_ows(element.substr(0, element.find(';')));
      if (name.empty()) {
        error = "empty transfer coding";
        return false;
      }
      for (const char c : name) {
        if (!is_tchar(c)) {
          error = "invalid transfer coding";
          return false;
        }
      }
      if (chunked_seen) {  // RFC 9112 §6.1: nothing may follow chunked, nor chunked twice
        error = "transfer coding after chunked";
        return false;
      }
      chunked_seen = iequals(name, "chunked");
      chunked_last = chunked_seen;
      only_chunked = only_chunked && chunked_seen && name.size() == element.size();
      return true;
    });
    if (!ok) return fail(ErrorKind::kBadRequest, error);
  }
  if (fields == 0) return TransferCoding::kAbsent;
  if (!chunked_last) return TransferCoding::kNotChunked;
  if (fields == 1 && only_chunked) return TransferCoding::kChunkedOnly;
  return TransferCoding::kChunked;
}

bool connection_has(const HeaderMap& headers, std::string_view option) noexcept {
  for (const HeaderField& field : headers) {
    if (iequals(field.name, "connection") && has_token(field.value, option)) return true;
  }
  return false;
}

bool wants_keep_alive(const HeaderMap& headers, std::uint8_t version_minor) noexcept {
  if (connection_has(headers, "close")) return false;
  return version_minor >= 1 || connection_has(headers, "keep-alive");
}

bool is_valid_host(std::string_view host) noexcept {
  for (const char c : host) {
    if (!has_class(c, kHost)) return false;
  }
  return true;
}

}  // namespace bulwark::http::h1::detail
