// libFuzzer target for the walker that reads the TTLs of a raw DNS response
// (src/upstream/dns/answer.h, shortest_answer_ttl), fed the same bytes c-ares parses for the
// resolver. Besides memory and UB errors (ASan, UBSan) in either, it checks that:
//  - a TTL comes only from a response with a header and an answer count,
//  - bytes after the last answer do not change the TTL found,
//  - when c-ares accepts an SRV or A answer, the walker finds its TTL too (the resolver would
//    otherwise look again at once, every time), and no address c-ares gives has a shorter one.
//
// Input: a DNS response, as a resolver sends it over UDP.

#include <ares.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "upstream/dns/answer.h"

namespace {

using bulwark::fuzz::check;
using bulwark::upstream::dns::shortest_answer_ttl;

constexpr std::size_t kHeaderSize = 12;
constexpr int kMaxAddresses = 16;

// True when c-ares parses the response as an SRV answer with at least one record.
bool cares_reads_srv(const std::uint8_t* data, int size) {
  ares_srv_reply* replies = nullptr;
  const int status = ares_parse_srv_reply(data, size, &replies);
  const bool found = status == ARES_SUCCESS && replies != nullptr;
  if (replies != nullptr) ares_free_data(replies);
  return found;
}

// c-ares's A records, each with the shortest TTL of the records that led to it.
void check_a_reply(const std::uint8_t* data, int size, std::optional<std::uint32_t> ttl) {
  hostent* host = nullptr;
  std::array<ares_addrttl, kMaxAddresses> addresses{};
  int count = kMaxAddresses;
  const int status = ares_parse_a_reply(data, size, &host, addresses.data(), &count);
  if (host != nullptr) ares_free_hostent(host);
  if (status != ARES_SUCCESS || count <= 0) return;
  check(count <= kMaxAddresses, "c-ares fills at most the room it has");
  check(ttl.has_value(), "an A answer c-ares reads has a TTL");
  for (int i = 0; i < count; ++i) {
    // c-ares keeps TTLs in an int: one above INT32_MAX comes out negative.
    const int address_ttl = addresses[static_cast<std::size_t>(i)].ttl;
    check(address_ttl < 0 || static_cast<std::uint32_t>(address_ttl) >= *ttl,
          "the shortest TTL is no longer than any address's");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const unsigned char> response(data, size);
  const std::optional<std::uint32_t> ttl = shortest_answer_ttl(response);
  if (ttl) {
    check(size >= kHeaderSize && (data[6] != 0 || data[7] != 0),
          "a TTL implies a header with answers");
    std::vector<unsigned char> longer(response.begin(), response.end());
    longer.insert(longer.end(), {0xC0, 0x0C, 0x00, 0x01});
    check(shortest_answer_ttl(longer) == ttl, "trailing bytes do not change the TTL");
  }
  if (size > static_cast<std::size_t>(INT32_MAX)) return 0;
  const int length = static_cast<int>(size);
  if (cares_reads_srv(data, length)) check(ttl.has_value(), "an SRV answer c-ares reads has a TTL");
  check_a_reply(data, length, ttl);
  return 0;
}
