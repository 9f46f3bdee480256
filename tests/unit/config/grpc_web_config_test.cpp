// The grpc_web filter in the configuration: where it may be written and what it refuses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "config/loader.h"
#include "load_results.h"
#include "proxy/filter_registry.h"

namespace bulwark::config {
namespace {

using test_support::errors_of;

using ::testing::ElementsAre;

// A virtual host running `filters` (line 6), with a named filter section before it.
std::string with_filters(std::string_view filters) {
  return R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters: )" +
         std::string(filters) + R"(
        routes:
          - proxy: { cluster: grpc }
clusters:
  - name: grpc
    endpoints: [127.0.0.1:50051]
)";
}

TEST(GrpcWebConfigTest, EmptyOrNoSettingsMakeTheFilter) {
  for (const std::string_view item : {"[ { grpc_web: {} } ]", "[ { grpc_web: } ]"}) {
    const LoadResult result = load_config_string(with_filters(item), "t.yaml");
    ASSERT_TRUE(result.errors.empty()) << item << ": " << result.errors.front().format();
    const std::vector<FilterSpec>& filters = result.config->listeners[0].virtual_hosts[0].filters;
    ASSERT_EQ(filters.size(), 1U);
    EXPECT_EQ(filters[0].type, "grpc_web");
    EXPECT_TRUE(std::holds_alternative<GrpcWebSettings>(filters[0].settings));
    std::string error;
    const auto factory = proxy::make_filter_factory(filters[0], *result.config, nullptr, error);
    ASSERT_NE(factory, nullptr) << error;
    EXPECT_EQ(factory->name(), "grpc_web");
  }
}

TEST(GrpcWebConfigTest, NamedDefinitionAndReference) {
  const LoadResult result = load_config_string(
      "filters:\n  - name: web\n    grpc_web: {}\n" + with_filters("[ web ]"), "t.yaml");
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().format();
  EXPECT_EQ(result.config->listeners[0].virtual_hosts[0].filters.at(0).type, "grpc_web");
}

TEST(GrpcWebConfigTest, SettingsAreRefused) {
  EXPECT_THAT(errors_of(with_filters("[ { grpc_web: { cors: true } } ]")),
              ElementsAre("t.yaml:6:34: grpc_web: unknown key 'cors'\n  hint: grpc_web has no "
                          "settings: write grpc_web: {}"));
}

TEST(GrpcWebConfigTest, NotAMap) {
  EXPECT_THAT(errors_of(with_filters("[ { grpc_web: on } ]")),
              ElementsAre("t.yaml:6:32: grpc_web: expected a map, got 'on'"));
}

TEST(GrpcWebConfigTest, MisspeltType) {
  EXPECT_THAT(errors_of(with_filters("[ { grpcweb: {} } ]")),
              ElementsAre("t.yaml:6:22: filters[0]: unknown filter 'grpcweb'\n  hint: did you "
                          "mean 'grpc_web'?"));
}

}  // namespace
}  // namespace bulwark::config
