#pragma once
// Hashing and random numbers for the balancers: stable across runs and platforms (std::hash is
// neither), cheap, and good enough to spread keys evenly.

#include <cstdint>
#include <string_view>

namespace bulwark::upstream {

// SplitMix64's finalizer: every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

// FNV-1a over the bytes, then mixed (FNV alone spreads short keys poorly in the low bits).
constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

// SplitMix64: a tiny, seedable generator, so tests can assert exact distributions.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // In [0, bound), bound > 0; the modulo bias is below 2^-40 for any endpoint count or weight sum.
  std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace bulwark::upstream
