#include "filters/request_id/request_id_filter.h"

#include <array>
#include <cstdint>
#include <random>

namespace bulwark::filters {
namespace {

constexpr std::size_t kMaxTrustedIdLength = 200;

// xoshiro256** (Blackman and Vigna): fast and good enough for ids that need to be unique, not
// secret. Seeded per thread from the OS.
class IdGenerator {
 public:
  IdGenerator() {
    std::random_device device;
    for (auto& word : state_) {
      word = (static_cast<std::uint64_t>(device()) << 32) | device();
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> state_{};
};

bool acceptable_incoming_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxTrustedIdLength) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

}  // namespace

std::string_view generate_request_id(core::Arena& arena) {
  thread_local IdGenerator generator;
  std::array<std::uint8_t, 16> bytes{};
  const std::uint64_t high = generator.next();
  const std::uint64_t low = generator.next();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 9562 variant
  constexpr char kHex[] = "0123456789abcdef";
  auto* out = static_cast<char*>(arena.allocate(36, 1));
  std::size_t pos = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0x0F];
  }
  return {out, 36};
}

proxy::Verdict RequestIdFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                   proxy::Context& ctx) {
  proxy::StreamInfo& info = ctx.info();
  const std::string_view incoming = head.headers.get(header_);
  if (info.client_trusted && acceptable_incoming_id(incoming)) {
    info.request_id = incoming;
  } else if (info.request_id.empty()) {
    info.request_id = generate_request_id(ctx.arena());
  }
  head.headers.set(header_, info.request_id);
  return proxy::Verdict::kContinue;
}

proxy::Verdict RequestIdFilter::on_response_headers(http::ResponseHead& head, bool /*end_stream*/,
                                                    proxy::Context& ctx) {
  if (!ctx.info().request_id.empty()) head.headers.set(header_, ctx.info().request_id);
  return proxy::Verdict::kContinue;
}

}  // namespace bulwark::filters
