// A snapshot's cluster takes endpoint names from their latest DNS answers: one endpoint per
// address, known on the StateBoard by ADDRESS:PORT, weighted by the configuration or by SRV.

#include "upstream/cluster.h"

#include <gtest/gtest.h>

#include <string>

namespace bulwark::upstream {
namespace {

using std::chrono::seconds;

dns::Target target(const char* address, std::uint16_t port, std::uint32_t weight = 1) {
  return {asio::ip::tcp::endpoint(asio::ip::make_address(address), port), weight};
}

void answer(dns::AnswerBook& book, const config::Cluster& spec, const config::Endpoint& endpoint,
            dns::Answer answer) {
  const std::optional<dns::NameKey> key = dns::key_of(spec, endpoint);
  if (!key) {
    ADD_FAILURE() << "not a name: " << endpoint.address.to_string();
    return;
  }
  book.set(*key, std::move(answer));
}

config::Cluster api_cluster() {
  config::Cluster cluster;
  cluster.name = "api";
  cluster.endpoints.push_back({.address = {"127.0.0.9", 81}, .weight = 2});
  cluster.endpoints.push_back({.address = {"api.internal", 8080}, .weight = 5});
  cluster.endpoints.push_back({.srv = "_http._tcp.api.internal"});
  return cluster;
}

TEST(ClusterTest, NamesBecomeOneEndpointPerAnsweredAddress) {
  const config::Cluster spec = api_cluster();
  dns::AnswerBook answers;
  answer(answers, spec, spec.endpoints[1],
         {{target("127.0.0.2", 8080), target("127.0.0.3", 8080)}, seconds(2)});
  answer(answers, spec, spec.endpoints[2],
         {{target("127.0.0.4", 9001, 10), target("127.0.0.5", 9002, 30)}, seconds(1)});
  StateBoard board;
  Cluster cluster;
  std::string error;
  ASSERT_TRUE(resolve_cluster(spec, board, answers, cluster, error)) << error;
  ASSERT_EQ(cluster.endpoints.size(), 5U);
  const std::vector<std::pair<std::string, std::uint32_t>> expected{
      {"127.0.0.9:81", 2},    // static, as written
      {"127.0.0.2:8080", 5},  // a name's addresses share its configured weight
      {"127.0.0.3:8080", 5},
      {"127.0.0.4:9001", 10},  // SRV: ports and weights from the records
      {"127.0.0.5:9002", 30}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const ClusterEndpoint& endpoint = cluster.endpoints[i];
    EXPECT_EQ(endpoint.label, expected[i].first);
    EXPECT_EQ(endpoint.weight, expected[i].second);
    EXPECT_EQ(endpoint.state->identity(), expected[i].first);
    EXPECT_EQ(dns::to_string(endpoint.address), expected[i].first);
  }
}

TEST(ClusterTest, AnAddressKeepsItsStateAcrossAnswers) {
  config::Cluster names_only = api_cluster();
  names_only.endpoints = {names_only.endpoints[1]};
  dns::AnswerBook answers;
  answer(answers, names_only, names_only.endpoints[0],
         {{target("127.0.0.2", 8080), target("127.0.0.3", 8080)}, seconds(2)});
  StateBoard board;
  Cluster before;
  std::string error;
  ASSERT_TRUE(resolve_cluster(names_only, board, answers, before, error)) << error;
  // 127.0.0.2 left the answer and 127.0.0.4 came: 127.0.0.3 is the same endpoint as before.
  answer(answers, names_only, names_only.endpoints[0],
         {{target("127.0.0.3", 8080), target("127.0.0.4", 8080)}, seconds(2)});
  Cluster after;
  ASSERT_TRUE(resolve_cluster(names_only, board, answers, after, error)) << error;
  ASSERT_EQ(after.endpoints.size(), 2U);
  EXPECT_EQ(after.endpoints[0].state, before.endpoints[1].state);
  EXPECT_NE(after.endpoints[1].state, before.endpoints[0].state);
}

TEST(ClusterTest, ANameWithoutAnswerFails) {
  const config::Cluster spec = api_cluster();
  StateBoard board;
  Cluster cluster;
  std::string error;
  EXPECT_FALSE(resolve_cluster(spec, board, dns::AnswerBook{}, cluster, error));
  EXPECT_EQ(error, "cluster 'api': 'api.internal' has not been looked up");
}

}  // namespace
}  // namespace bulwark::upstream
