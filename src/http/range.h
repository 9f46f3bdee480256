#pragma once
// Range requests (RFC 9110 §14): which bytes of a representation a Range header field asks for,
// and the framing of the answer (Content-Range, multipart/byteranges). Pure: it knows the
// representation only by its length, so the file server and the cache use the same rules.
//
// Choices where the RFC lets a server choose, as nginx makes them:
// - an invalid Range (another unit, bad syntax, a last-pos before its first-pos) is ignored and
//   the whole representation is sent (RFC 9110 §14.2 allows ignoring or rejecting);
// - more than kMaxRanges ranges, or ranges that add up to more than the representation (they
//   overlap), are ignored as well: the whole representation is cheaper than many small parts and
//   the defence against "Apache Killer" style requests;
// - ranges are answered in the order asked, not merged;
// - a zero-length representation has no satisfiable range but is sent whole (200), not 416.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::http {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // at least 1
  [[nodiscard]] std::uint64_t last() const noexcept { return offset + length - 1; }
  bool operator==(const ByteRange&) const = default;
};

inline constexpr std::size_t kMaxRanges = 32;

enum class RangeOutcome : std::uint8_t {
  kIgnore,         // send the whole representation (200)
  kSatisfiable,    // send the ranges (206)
  kUnsatisfiable,  // 416 with Content-Range: bytes */length
};

struct RangeSet {
  RangeOutcome outcome = RangeOutcome::kIgnore;
  std::size_t count = 0;
  std::array<ByteRange, kMaxRanges> ranges{};

  [[nodiscard]] std::span<const ByteRange> view() const noexcept { return {ranges.data(), count}; }
};

// Evaluates the value of a Range header field against a representation of `length` bytes. Call it
// only where ranges apply: a GET whose response would be 200, after preconditions and If-Range.
RangeSet parse_range(std::string_view value, std::uint64_t length) noexcept;

// "bytes 0-499/1234"; "bytes */1234" (unsatisfiable_content_range). Each fits in
// kContentRangeSize bytes.
inline constexpr std::size_t kContentRangeSize = 6 + 20 + 1 + 20 + 1 + 20;
std::string_view content_range(ByteRange range, std::uint64_t length,
                               std::span<char, kContentRangeSize> out) noexcept;
std::string_view unsatisfiable_content_range(std::uint64_t length,
                                             std::span<char, kContentRangeSize> out) noexcept;

// The body of a multipart/byteranges response (RFC 9110 §14.6) is, in turn, the text before each
// part (boundary and part headers), the part's bytes, and after the last part the closing
// delimiter. This gives that text and the total length; the caller sends the bytes.
class MultipartByteranges {
 public:
  // `content_type` is the representation's; `boundary` is 1-70 characters that the parts' bytes
  // must not contain after a CRLF "--" (a random one makes that vanishingly unlikely).
  MultipartByteranges(std::span<const ByteRange> ranges, std::uint64_t length,
                      std::string_view content_type, std::string_view boundary) noexcept
      : ranges_(ranges), length_(length), content_type_(content_type), boundary_(boundary) {}

  // "multipart/byteranges; boundary=..."
  [[nodiscard]] std::string content_type() const;
  // The text before part `index`: "[CRLF]--boundary CRLF Content-Type... CRLF CRLF".
  [[nodiscard]] std::string part_head(std::size_t index) const;
  // CRLF "--boundary--" CRLF
  [[nodiscard]] std::string closing() const;
  // Every byte of the body: the texts above and the parts.
  [[nodiscard]] std::uint64_t body_length() const;

 private:
  std::span<const ByteRange> ranges_;
  std::uint64_t length_;
  std::string_view content_type_;
  std::string_view boundary_;
};

}  // namespace bulwark::http
