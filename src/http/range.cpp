#include "http/range.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "http/header_map.h"

namespace bulwark::http {
namespace {

constexpr std::uint64_t kNoNumber = std::numeric_limits<std::uint64_t>::max();

// Leading digits of `text` (consumed); kNoNumber when there are none. A value too large for 64 bits
// saturates: as a position or a length it is beyond any representation anyway.
std::uint64_t take_number(std::string_view& text) noexcept {
  std::size_t digits = 0;
  std::uint64_t value = 0;
  bool saturated = false;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[digits] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - 1 - digit) / 10) saturated = true;
    if (!saturated) value = value * 10 + digit;
    ++digits;
  }
  if (digits == 0) return kNoNumber;
  text.remove_prefix(digits);
  return saturated ? std::numeric_limits<std::uint64_t>::max() - 1 : value;
}

enum class Spec : std::uint8_t { kInvalid, kUnsatisfiable, kRange };

// One bytes-range-spec (RFC 9110 §14.1.1), resolved against the representation's length.
Spec parse_spec(std::string_view text, std::uint64_t length, ByteRange& range) noexcept {
  if (text.starts_with('-')) {  // suffix-range: the last N bytes
    text.remove_prefix(1);
    const std::uint64_t suffix = take_number(text);
    if (suffix == kNoNumber || !text.empty()) return Spec::kInvalid;
    if (suffix == 0) return Spec::kUnsatisfiable;
    const std::uint64_t size = std::min(suffix, length);
    range = {length - size, size};
    return Spec::kRange;
  }
  const std::uint64_t first = take_number(text);
  if (first == kNoNumber || !text.starts_with('-')) return Spec::kInvalid;
  text.remove_prefix(1);
  std::uint64_t last = length - 1;
  if (!text.empty()) {
    const std::uint64_t given = take_number(text);
    if (given == kNoNumber || !text.empty() || given < first) return Spec::kInvalid;
    last = std::min(given, last);
  }
  if (first >= length) return Spec::kUnsatisfiable;
  range = {first, last - first + 1};
  return Spec::kRange;
}

std::string_view write_number(std::uint64_t value, char*& p, char* end) noexcept {
  const auto [next, ec] = std::to_chars(p, end, value);
  const std::string_view written(p, static_cast<std::size_t>(next - p));
  p = next;
  return written;
}

}  // namespace

RangeSet parse_range(std::string_view value, std::uint64_t length) noexcept {
  RangeSet set;
  const std::size_t equals = value.find('=');
  if (equals == std::string_view::npos || !iequals(value.substr(0, equals), "bytes")) return set;
  if (length == 0) return set;
  std::string_view list = value.substr(equals + 1);
  std::size_t specs = 0;
  std::uint64_t total = 0;
  for (;;) {
    const std::size_t comma = list.find(',');
    // The list rule (RFC 9110 §5.6.1) lets empty elements and whitespace around them through.
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) {
      ByteRange range;
      const Spec spec = parse_spec(element, length, range);
      if (spec == Spec::kInvalid || ++specs > kMaxRanges) return {};
      if (spec == Spec::kRange) {
        total += range.length;
        if (total > length) return {};
        set.ranges[set.count++] = range;
      }
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (specs == 0) return {};
  set.outcome = set.count == 0 ? RangeOutcome::kUnsatisfiable : RangeOutcome::kSatisfiable;
  return set;
}

std::string_view content_range(ByteRange range, std::uint64_t length,
                               std::span<char, kContentRangeSize> out) noexcept {
  char* p = out.data();
  char* const end = p + out.size();
  p = std::copy_n("bytes ", 6, p);
  write_number(range.offset, p, end);
  *p++ = '-';
  write_number(range.last(), p, end);
  *p++ = '/';
  write_number(length, p, end);
  return {out.data(), static_cast<std::size_t>(p - out.data())};
}

std::string_view unsatisfiable_content_range(std::uint64_t length,
                                             std::span<char, kContentRangeSize> out) noexcept {
  char* p = out.data();
  p = std::copy_n("bytes */", 8, p);
  write_number(length, p, out.data() + out.size());
  return {out.data(), static_cast<std::size_t>(p - out.data())};
}

std::string MultipartByteranges::content_type() const {
  std::string text = "multipart/byteranges; boundary=";
  text += boundary_;
  return text;
}

std::string MultipartByteranges::part_head(std::size_t index) const {
  std::array<char, kContentRangeSize> range{};
  std::string text;
  if (index != 0) text += "\r\n";
  text += "--";
  text += boundary_;
  text += "\r\n";
  if (!content_type_.empty()) {
    text += "Content-Type: ";
    text += content_type_;
    text += "\r\n";
  }
  text += "Content-Range: ";
  text += content_range(ranges_[index], length_, range);
  text += "\r\n\r\n";
  return text;
}

std::string MultipartByteranges::closing() const {
  std::string text = "\r\n--";
  text += boundary_;
  text += "--\r\n";
  return text;
}

std::uint64_t MultipartByteranges::body_length() const {
  std::uint64_t total = closing().size();
  for (std::size_t i = 0; i < ranges_.size(); ++i)
    total += part_head(i).size() + ranges_[i].length;
  return total;
}

}  // namespace bulwark::http
