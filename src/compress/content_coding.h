#pragma once
// Content codings bulwark can produce (RFC 9110 §8.4.1) and the client's Accept-Encoding
// (RFC 9110 §12.5.3), weighed against the server's order of preference.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace bulwark::compress {

enum class Coding : std::uint8_t { kIdentity, kGzip, kBrotli, kZstd };

// The token in Content-Encoding and Accept-Encoding: "identity", "gzip", "br", "zstd".
[[nodiscard]] std::string_view coding_token(Coding coding) noexcept;
// The coding a token names (case-insensitive; "x-gzip" is gzip, RFC 9110 §8.4.1.3).
[[nodiscard]] std::optional<Coding> coding_from_token(std::string_view token) noexcept;

// The weights an Accept-Encoding field gives, in thousandths (q=0.5 is 500). Several fields
// (or a repeated field line) are read one after another, as if joined with commas.
class AcceptEncoding {
 public:
  // Reads one field value. Malformed elements (a bad q-value, a stray character) are skipped:
  // they say nothing the server could rely on.
  void add(std::string_view field_value) noexcept;

  // The coding to send: among `preference` (the server's order, best first), the one with the
  // highest weight above zero, ties going to the earlier one; kIdentity when the client accepts
  // none of them, sent no Accept-Encoding at all (RFC 9110 allows any coding then, but a client
  // that never asks may not decode one), or weighs identity above every one of them.
  [[nodiscard]] Coding choose(std::span<const Coding> preference) const noexcept;

 private:
  static constexpr std::size_t kCodings = 4;
  static constexpr int kUnset = -1;
  // The weight of an explicit token, or kUnset; the first element naming a coding wins.
  std::array<int, kCodings> weight_{kUnset, kUnset, kUnset, kUnset};
  int any_ = kUnset;  // "*": every coding not named
  bool present_ = false;

  [[nodiscard]] int weight(Coding coding) const noexcept;
};

}  // namespace bulwark::compress
