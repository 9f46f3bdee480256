// The pure rules of DNS endpoints: which addresses are kept, SRV records to weighted endpoints,
// TTLs read from a response and clamped, retries, and what counts as a change.

#include "upstream/dns/answer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace bulwark::upstream::dns {
namespace {

using ::testing::ElementsAre;
using Family = config::DnsSettings::Family;
using std::chrono::milliseconds;
using std::chrono::seconds;

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}
Target target(const char* address, std::uint16_t port, std::uint32_t weight = 1) {
  return {asio::ip::tcp::endpoint(ip(address), port), weight};
}

// dnsmasq's answer to "_http._tcp.svc.test SRV" (two records, TTL 1, with the targets'
// addresses in the additional section), as captured on the wire.
std::vector<unsigned char> srv_response() {
  const std::string hex =
      "123485800001000200000002055f68747470045f7463700373766304746573740000210001c00c002100010000"
      "0001000e0000001e1f900162047465737400c00c0021000100000001000e0000000a1f900161047465737400c0"
      "51000100010000000100047f000002c037000100010000000100047f000003";
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

TEST(DnsAnswerTest, AutoKeepsIpv4AndFallsBackToIpv6) {
  const std::vector<asio::ip::address> mixed{ip("::1"), ip("127.0.0.2"), ip("127.0.0.3")};
  EXPECT_THAT(choose_family(mixed, Family::kAuto), ElementsAre(ip("127.0.0.2"), ip("127.0.0.3")));
  const std::vector<asio::ip::address> v6{ip("::1"), ip("::2")};
  EXPECT_THAT(choose_family(v6, Family::kAuto), ElementsAre(ip("::1"), ip("::2")));
  EXPECT_EQ(choose_family(mixed, Family::kAny).size(), 3U);
  EXPECT_THAT(choose_family(mixed, Family::kIpv6), ElementsAre(ip("::1")));
  EXPECT_TRUE(choose_family(v6, Family::kIpv4).empty());
}

TEST(DnsAnswerTest, OnlyTheLowestPriorityIsUsed) {
  const std::vector<SrvRecord> records{
      {"backup.test", 80, 20, 5}, {"a.test", 80, 10, 1}, {"b.test", 81, 10, 3}};
  const std::vector<SrvRecord> kept = lowest_priority(records);
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].target, "a.test");
  EXPECT_EQ(kept[1].target, "b.test");
  EXPECT_TRUE(lowest_priority({}).empty());
}

TEST(DnsAnswerTest, SrvWeightsKeepTheirProportions) {
  const auto weights = [](const std::vector<std::uint16_t>& raw) {
    std::vector<SrvRecord> records;
    records.reserve(raw.size());
    for (const std::uint16_t w : raw)
      records.push_back({"t", 80, 0, w});
    return endpoint_weights(records);
  };
  EXPECT_THAT(weights({10, 30}), ElementsAre(10U, 30U));
  // Weight 0 is the smallest share there is, never none.
  EXPECT_THAT(weights({0, 5}), ElementsAre(1U, 5U));
  EXPECT_THAT(weights({0, 0}), ElementsAre(1U, 1U));
  // Above the endpoint maximum (1000) they are scaled down, rounding to nearest.
  EXPECT_THAT(weights({65535, 32768, 1}), ElementsAre(1000U, 500U, 1U));
}

TEST(DnsAnswerTest, TheShortestAnswerTtlIsReadFromTheResponse) {
  std::vector<unsigned char> response = srv_response();
  EXPECT_EQ(shortest_answer_ttl(response), 1U);
  // The first answer's TTL (bytes 43..46) to 300 and the second's (69..72) to 7: the shortest.
  response[45] = 0x01;
  response[46] = 0x2C;
  response[72] = 7;
  EXPECT_EQ(shortest_answer_ttl(response), 7U);
  // The additional section (TTL 1 too) does not count: raise both answers above it.
  response[72] = 60;
  EXPECT_EQ(shortest_answer_ttl(response), 60U);
}

TEST(DnsAnswerTest, AMalformedResponseHasNoTtl) {
  const std::vector<unsigned char> response = srv_response();
  EXPECT_FALSE(shortest_answer_ttl(std::span(response).first(11)));  // shorter than a header
  EXPECT_FALSE(shortest_answer_ttl(std::span(response).first(60)));  // cut in an answer
  std::vector<unsigned char> reserved = response;
  reserved[12] = 0x80;  // a reserved label type
  EXPECT_FALSE(shortest_answer_ttl(reserved));
}

TEST(DnsAnswerTest, TtlIsClampedAndAFixedPeriodWins) {
  config::DnsSettings settings;
  settings.min_ttl = milliseconds(2'000);
  settings.max_ttl = milliseconds(60'000);
  EXPECT_EQ(next_lookup(settings, seconds(0)), milliseconds(2'000));
  EXPECT_EQ(next_lookup(settings, seconds(5)), milliseconds(5'000));
  EXPECT_EQ(next_lookup(settings, seconds(86'400)), milliseconds(60'000));
  settings.refresh = milliseconds(10'000);
  EXPECT_EQ(next_lookup(settings, seconds(1)), milliseconds(10'000));
}

TEST(DnsAnswerTest, RetriesBackOffUpToACap) {
  config::DnsSettings settings;
  settings.min_ttl = milliseconds(1'000);
  EXPECT_EQ(retry_after(settings, 1), milliseconds(1'000));
  EXPECT_EQ(retry_after(settings, 2), milliseconds(2'000));
  EXPECT_EQ(retry_after(settings, 4), milliseconds(8'000));
  EXPECT_EQ(retry_after(settings, 100), kMaxRetry);
  settings.max_ttl = milliseconds(3'000);  // a shorter max_ttl caps retries too
  EXPECT_EQ(retry_after(settings, 3), milliseconds(3'000));
}

TEST(DnsAnswerTest, TheSameAddressesInAnotherOrderAreNoChange) {
  std::vector<Target> first{target("127.0.0.3", 80), target("127.0.0.2", 80)};
  std::vector<Target> second{target("127.0.0.2", 80), target("127.0.0.3", 80),
                             target("127.0.0.2", 80)};
  normalize(first);
  normalize(second);
  EXPECT_EQ(first, second);
  EXPECT_EQ(second.size(), 2U);
  std::vector<Target> moved{target("127.0.0.2", 80), target("127.0.0.4", 80)};
  normalize(moved);
  EXPECT_NE(first, moved);
  std::vector<Target> reweighted{target("127.0.0.2", 80, 3), target("127.0.0.3", 80)};
  EXPECT_NE(first, reweighted);
}

TEST(DnsAnswerTest, DescribeListsAddressesWeightsAndTtl) {
  EXPECT_EQ(describe({{target("127.0.0.2", 8080), target("127.0.0.3", 8080)}, seconds(2)}),
            "127.0.0.2:8080, 127.0.0.3:8080 (ttl 2s)");
  EXPECT_EQ(describe({{target("::1", 80, 10), target("127.0.0.3", 81, 30)}, seconds(1)}),
            "[::1]:80 weight 10, 127.0.0.3:81 weight 30 (ttl 1s)");
}

TEST(DnsAnswerTest, OnlyNamesHaveKeys) {
  config::Cluster cluster;
  cluster.name = "api";
  cluster.dns.resolvers = {{"127.0.0.1", 5353}};
  cluster.dns.family = Family::kIpv6;
  EXPECT_FALSE(key_of(cluster, {.address = {"127.0.0.1", 80}}));
  EXPECT_FALSE(key_of(cluster, {.address = {"::1", 80}}));
  const std::optional<NameKey> host = key_of(cluster, {.address = {"api.internal", 8080}});
  EXPECT_EQ(host,
            (NameKey{"api", {"127.0.0.1:5353"}, {"api.internal", 8080, false, Family::kIpv6}}));
  EXPECT_EQ(
      key_of(cluster, {.srv = "_http._tcp.api.internal"}),
      (NameKey{"api", {"127.0.0.1:5353"}, {"_http._tcp.api.internal", 0, true, Family::kIpv6}}));
  // The same name in another cluster, or asked elsewhere, is another entry.
  config::Cluster other = cluster;
  other.name = "web";
  EXPECT_NE(key_of(other, {.address = {"api.internal", 8080}}), host);
  other = cluster;
  other.dns.resolvers.clear();
  EXPECT_NE(key_of(other, {.address = {"api.internal", 8080}}), host);
}

}  // namespace
}  // namespace bulwark::upstream::dns
