#pragma once
// What a DNS lookup of an endpoint name gave, and the pure rules around it: which addresses of
// a name are kept, how SRV records become weighted endpoints, when to look again, and the
// answers a snapshot takes its addresses from (the AnswerBook).

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"

namespace bulwark::upstream::dns {

// One address a name stands for, with the weight its endpoint gets.
struct Target {
  asio::ip::tcp::endpoint address;
  std::uint32_t weight = 1;

  bool operator==(const Target&) const = default;
};

struct Answer {
  std::vector<Target> targets;  // sorted, no address twice, never empty
  std::chrono::seconds ttl{0};  // the shortest TTL of the records it came from
};

// One record of an SRV answer (RFC 2782).
struct SrvRecord {
  std::string target;
  std::uint16_t port = 0;
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
};

// What to look up for one endpoint: a host name (A/AAAA) and the port to use with its addresses,
// or an SRV name (port 0), whose records give the ports.
struct Query {
  std::string name;
  std::uint16_t port = 0;
  bool srv = false;
  config::DnsSettings::Family family = config::DnsSettings::Family::kAuto;

  auto operator<=>(const Query&) const = default;
};

// An endpoint name as the process knows it: the same name in another cluster, or asked of other
// resolvers, is another entry.
struct NameKey {
  std::string cluster;
  std::vector<std::string> resolvers;  // "IP:PORT"; empty: the system's
  Query query;

  auto operator<=>(const NameKey&) const = default;
};

// The key of `endpoint` of `cluster`; nullopt for an IP address, which is never looked up.
std::optional<NameKey> key_of(const config::Cluster& cluster, const config::Endpoint& endpoint);

// Sorts and drops repeated addresses (a target named twice in SRV records, say).
void normalize(std::vector<Target>& targets);

// The addresses of `addresses` that `family` keeps: auto keeps the IPv4 ones, or the IPv6 ones
// when there is no IPv4 address.
std::vector<asio::ip::address> choose_family(std::span<const asio::ip::address> addresses,
                                             config::DnsSettings::Family family);

// The records a client uses: those of the lowest priority (RFC 2782; the others are backups
// that health checks and retries already stand in for).
std::vector<SrvRecord> lowest_priority(std::span<const SrvRecord> records);

// Endpoint weights (1..1000) for SRV weights (0..65535), in the same proportions: 0 is the
// smallest share (1), and weights above 1000 are scaled down.
std::vector<std::uint32_t> endpoint_weights(std::span<const SrvRecord> records);

// The shortest TTL of the answer records of a DNS response, nullopt when it is malformed or has
// none.
std::optional<std::uint32_t> shortest_answer_ttl(std::span<const unsigned char> response);

// When to look again after an answer with `ttl`: the fixed refresh period when set, else the
// TTL clamped into [min_ttl, max_ttl].
config::Duration next_lookup(const config::DnsSettings& settings, std::chrono::seconds ttl);
// When to try again after `failures` (>= 1) failed lookups in a row: from min_ttl, doubling, up
// to kMaxRetry (or max_ttl when that is shorter).
config::Duration retry_after(const config::DnsSettings& settings, unsigned failures);
inline constexpr config::Duration kMaxRetry{30'000};

// "127.0.0.2:8080, 127.0.0.3:8080 (ttl 2s)"; weights appear when one is not 1.
std::string describe(const Answer& answer);
// "127.0.0.2:8080", "[::1]:8080": an endpoint's identity when it comes from DNS.
std::string to_string(const asio::ip::tcp::endpoint& address);

// The latest answer for every endpoint name in use: what a snapshot takes addresses from.
class AnswerBook {
 public:
  [[nodiscard]] const Answer* find(const NameKey& key) const;
  void set(const NameKey& key, Answer answer) { answers_[key] = std::move(answer); }
  void erase(const NameKey& key) { answers_.erase(key); }

 private:
  std::map<NameKey, Answer> answers_;
};

}  // namespace bulwark::upstream::dns
