// A proxy route's websocket settings, and their errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "match_fixture.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

TEST(WebSocketConfigTest, SettingsAreRead) {
  LoadResult result = load_routes(R"yaml(          - match: { prefix: /ws/ }
            proxy:
              cluster: demo
              websocket: { allowed_origins: [https://app.example], idle_timeout: 30s }
          - match: { prefix: /plain/ }
            proxy: { cluster: demo, websocket: off }
          - proxy: { cluster: demo }
)yaml");
  ASSERT_NE(result.config, nullptr) << formatted(result).front();
  const auto& routes = result.config->listeners.at(0).virtual_hosts.at(0).routes;
  const auto& ws = std::get<ProxyAction>(routes[0].action).websocket;
  EXPECT_TRUE(ws.enabled);
  EXPECT_THAT(ws.allowed_origins, ElementsAre("https://app.example"));
  EXPECT_EQ(ws.idle_timeout, Duration{30'000});
  EXPECT_FALSE(std::get<ProxyAction>(routes[1].action).websocket.enabled);
  const auto& defaults = std::get<ProxyAction>(routes[2].action).websocket;
  EXPECT_TRUE(defaults.enabled);
  EXPECT_TRUE(defaults.allowed_origins.empty());
  EXPECT_EQ(defaults.idle_timeout, Duration{600'000});
}

TEST(WebSocketConfigTest, MistakesArePlaced) {
  const LoadResult result = load_routes(R"yaml(          - proxy:
              cluster: demo
              websocket: { allowed_origins: [[1]], idle_timeout: forever, enable: true }
)yaml");
  EXPECT_EQ(result.config, nullptr);
  EXPECT_THAT(formatted(result),
              ElementsAre("t.yaml:9:46: allowed_origins[0]: expected a string, got a list",
                          "t.yaml:9:66: idle_timeout: expected a duration such as 500ms, 10s, 2m "
                          "or 1h, got 'forever'",
                          "t.yaml:9:75: unknown key 'enable' in websocket\n  hint: did you mean "
                          "'enabled'?"));
}

}  // namespace
}  // namespace bulwark::config
