// The filter chains a snapshot builds: built-in first, configured in their order, obfuscation
// last (so that it sees an upstream response first).

#include "proxy/proxy_snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace bulwark::proxy {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> names_of(const FilterList& filters) {
  std::vector<std::string> names;
  for (const FilterFactory* factory : filters)
    names.emplace_back(factory->name());
  return names;
}

TEST(ProxySnapshotTest, ChainsEndWithObfuscation) {
  upstream::StateBoard board;
  const config::LoadResult loaded = config::load_config_string(R"(filters:
  - name: security
    headers: { response: { set: { x-frame-options: DENY } } }
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters: [ security, { headers: { request: { remove: [x-debug] } } } ]
        routes:
          - match: { prefix: /bare/ }
            filters: []
            proxy: { cluster: demo }
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)",
                                                               "t.yaml");
  ASSERT_NE(loaded.config, nullptr);
  std::string error;
  const SnapshotPtr snapshot = ProxySnapshot::build(loaded.config, board, {}, error);
  ASSERT_NE(snapshot, nullptr) << error;
  const VirtualHostRuntime& host = snapshot->listeners.at(0).hosts.at(0);
  EXPECT_THAT(names_of(host.routes.at(0).filters),
              ElementsAre("request_id", "forwarding", "obfuscation"));
  EXPECT_THAT(names_of(host.routes.at(1).filters),
              ElementsAre("request_id", "forwarding", "headers", "headers", "obfuscation"));
  EXPECT_THAT(names_of(snapshot->builtin_filters),
              ElementsAre("request_id", "forwarding", "obfuscation"));
  // One obfuscation factory serves every chain.
  EXPECT_EQ(host.routes.at(0).filters.back(), snapshot->builtin_filters.back());
}

TEST(ProxySnapshotTest, SettingsTheLoaderWouldRefuseFailTheBuild) {
  upstream::StateBoard board;
  auto config = std::make_shared<config::Config>();
  config::FilterSpec bad{.type = "headers", .name = "bad", .settings = {}, .mark = {}};
  std::get<config::HeaderRules>(bad.settings)
      .request.push_back({config::HeaderOp::kSet, "x-a", "{nope}"});
  config::Listener& listener = config->listeners.emplace_back();
  listener.name = "public";
  listener.listen = {"127.0.0.1", 8080};
  config::VirtualHost& host = listener.virtual_hosts.emplace_back();
  host.domains = {"*"};
  host.filters.push_back(bad);
  host.routes.emplace_back().action = config::DirectResponseAction{};
  std::string error;
  EXPECT_EQ(ProxySnapshot::build(config, board, {}, error), nullptr);
  EXPECT_EQ(error, "filter bad: header x-a: unknown variable 'nope'");
}

}  // namespace
}  // namespace bulwark::proxy
