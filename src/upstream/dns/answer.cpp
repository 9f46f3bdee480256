#include "upstream/dns/answer.h"

#include <fmt/format.h>

#include <algorithm>

namespace bulwark::upstream::dns {
namespace {

constexpr std::uint32_t kMaxWeight = 1000;  // as config::Endpoint::weight
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kQuestionTail = 4;  // type and class
constexpr std::size_t kRecordFixed = 10;  // type, class, TTL, data length

std::uint16_t read16(std::span<const unsigned char> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

// The offset after the (possibly compressed) name at `at`, nullopt when it runs off the end.
std::optional<std::size_t> skip_name(std::span<const unsigned char> bytes, std::size_t at) {
  while (at < bytes.size()) {
    const unsigned char length = bytes[at];
    if (length == 0) return at + 1;
    if ((length & 0xC0) == 0xC0) {  // a pointer ends the name
      if (at + 2 > bytes.size()) return std::nullopt;
      return at + 2;
    }
    if ((length & 0xC0) != 0) return std::nullopt;  // reserved label types
    at += 1 + length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<NameKey> key_of(const config::Cluster& cluster, const config::Endpoint& endpoint) {
  if (endpoint.srv.empty() && endpoint.address.is_address()) return std::nullopt;
  NameKey key{.cluster = cluster.name, .resolvers = {}, .query = {}};
  for (const net::HostPort& resolver : cluster.dns.resolvers)
    key.resolvers.push_back(resolver.to_string());
  key.query.family = cluster.dns.family;
  if (endpoint.srv.empty()) {
    key.query.name = endpoint.address.host;
    key.query.port = endpoint.address.port;
  } else {
    key.query.name = endpoint.srv;
    key.query.srv = true;
  }
  return key;
}

void normalize(std::vector<Target>& targets) {
  const auto by_address = [](const Target& a, const Target& b) { return a.address < b.address; };
  std::ranges::stable_sort(targets, by_address);
  const auto [first, last] = std::ranges::unique(
      targets, [](const Target& a, const Target& b) { return a.address == b.address; });
  targets.erase(first, last);
}

std::vector<asio::ip::address> choose_family(std::span<const asio::ip::address> addresses,
                                             config::DnsSettings::Family family) {
  using Family = config::DnsSettings::Family;
  bool want_v4 = family != Family::kIpv6;
  bool want_v6 = family != Family::kIpv4;
  if (family == Family::kAuto) {
    want_v4 = std::ranges::any_of(addresses, [](const auto& a) { return a.is_v4(); });
    want_v6 = !want_v4;
  }
  std::vector<asio::ip::address> kept;
  for (const asio::ip::address& address : addresses) {
    if (address.is_v4() ? want_v4 : want_v6) kept.push_back(address);
  }
  return kept;
}

std::vector<SrvRecord> lowest_priority(std::span<const SrvRecord> records) {
  if (records.empty()) return {};
  const std::uint16_t lowest =
      std::ranges::min(records, {}, [](const SrvRecord& r) { return r.priority; }).priority;
  std::vector<SrvRecord> kept;
  for (const SrvRecord& record : records) {
    if (record.priority == lowest) kept.push_back(record);
  }
  return kept;
}

std::vector<std::uint32_t> endpoint_weights(std::span<const SrvRecord> records) {
  std::uint32_t heaviest = 0;
  for (const SrvRecord& record : records)
    heaviest = std::max<std::uint32_t>(heaviest, record.weight);
  std::vector<std::uint32_t> weights;
  weights.reserve(records.size());
  for (const SrvRecord& record : records) {
    std::uint32_t weight = record.weight;
    if (heaviest > kMaxWeight) weight = (weight * kMaxWeight + heaviest / 2) / heaviest;
    weights.push_back(std::max<std::uint32_t>(weight, 1));
  }
  return weights;
}

std::optional<std::uint32_t> shortest_answer_ttl(std::span<const unsigned char> response) {
  if (response.size() < kHeaderSize) return std::nullopt;
  const std::uint16_t questions = read16(response, 4);
  const std::uint16_t answers = read16(response, 6);
  std::size_t at = kHeaderSize;
  for (std::uint16_t i = 0; i < questions; ++i) {
    const std::optional<std::size_t> end = skip_name(response, at);
    if (!end || *end + kQuestionTail > response.size()) return std::nullopt;
    at = *end + kQuestionTail;
  }
  std::optional<std::uint32_t> shortest;
  for (std::uint16_t i = 0; i < answers; ++i) {
    const std::optional<std::size_t> end = skip_name(response, at);
    if (!end || *end + kRecordFixed > response.size()) return std::nullopt;
    const std::uint32_t ttl =
        (std::uint32_t{read16(response, *end + 4)} << 16) | read16(response, *end + 6);
    const std::size_t data_end = *end + kRecordFixed + read16(response, *end + 8);
    if (data_end > response.size()) return std::nullopt;
    shortest = std::min(shortest.value_or(ttl), ttl);
    at = data_end;
  }
  return shortest;
}

config::Duration next_lookup(const config::DnsSettings& settings, std::chrono::seconds ttl) {
  if (settings.refresh) return *settings.refresh;
  return std::clamp<config::Duration>(ttl, settings.min_ttl, settings.max_ttl);
}

config::Duration retry_after(const config::DnsSettings& settings, unsigned failures) {
  const config::Duration cap = std::max(settings.min_ttl, std::min(settings.max_ttl, kMaxRetry));
  config::Duration delay = settings.min_ttl;
  for (unsigned i = 1; i < failures && delay < cap; ++i)
    delay *= 2;
  return std::min(delay, cap);
}

std::string to_string(const asio::ip::tcp::endpoint& address) {
  if (address.address().is_v6()) {
    return fmt::format("[{}]:{}", address.address().to_string(), address.port());
  }
  return fmt::format("{}:{}", address.address().to_string(), address.port());
}

std::string describe(const Answer& answer) {
  std::string text;
  for (const Target& target : answer.targets) {
    if (!text.empty()) text += ", ";
    text += to_string(target.address);
    if (target.weight != 1) text += fmt::format(" weight {}", target.weight);
  }
  return fmt::format("{} (ttl {}s)", text, answer.ttl.count());
}

const Answer* AnswerBook::find(const NameKey& key) const {
  const auto found = answers_.find(key);
  return found == answers_.end() ? nullptr : &found->second;
}

}  // namespace bulwark::upstream::dns
