// What the registry makes of the configuration: the backends the obfuscation filter knows.

#include "proxy/filter_registry.h"

#include <gtest/gtest.h>

#include "filters/obfuscation/obfuscation_filter.h"

namespace bulwark::proxy {
namespace {

config::Route proxy_route(std::string host_rewrite) {
  config::Route route;
  config::ProxyAction proxy;
  proxy.cluster = "api";
  proxy.host_rewrite = std::move(host_rewrite);
  route.action = proxy;
  return route;
}

TEST(FilterRegistryTest, ObfuscationKnowsEveryEndpointAndEveryHostSentUpstream) {
  config::Config config;
  config.obfuscation.server = "edge";
  config::Cluster& api = config.clusters.emplace_back();
  api.endpoints.push_back({{"10.0.0.5", 8080}, {}});
  api.endpoints.push_back({{"fd00::7", 9000}, {}});
  config.clusters.emplace_back().endpoints.push_back({{"Backend.Internal", 80}, {}});
  config::VirtualHost& host = config.listeners.emplace_back().virtual_hosts.emplace_back();
  host.routes.push_back(proxy_route("app.internal"));
  host.routes.push_back(proxy_route("api.internal:3000"));
  host.routes.push_back(proxy_route("[fd00::9]"));
  host.routes.push_back(proxy_route(""));

  const std::unique_ptr<FilterFactory> made = make_obfuscation_factory(config);
  const auto& factory = dynamic_cast<const filters::ObfuscationFilterFactory&>(*made);
  EXPECT_EQ(factory.name(), "obfuscation");
  EXPECT_EQ(factory.settings().server, "edge");
  EXPECT_EQ(factory.settings().strip_headers, config::Obfuscation{}.strip_headers);
  const filters::BackendRewriter& rewriter = factory.rewriter();
  EXPECT_TRUE(rewriter.names_backend("10.0.0.5", 8080));
  EXPECT_FALSE(rewriter.names_backend("10.0.0.5", 8081));
  EXPECT_TRUE(rewriter.names_backend("[fd00::7]", 9000));
  EXPECT_TRUE(rewriter.names_backend("backend.internal", 80));
  EXPECT_TRUE(rewriter.names_backend("app.internal", 443));  // no port: any
  EXPECT_TRUE(rewriter.names_backend("api.internal", 3000));
  EXPECT_FALSE(rewriter.names_backend("api.internal", 80));
  EXPECT_TRUE(rewriter.names_backend("fd00::9", 1));
  EXPECT_FALSE(rewriter.names_backend("www.example.com", 80));
  EXPECT_FALSE(rewriter.names_backend("", 80));
}

TEST(FilterRegistryTest, HeadersFilterFromItsSpec) {
  config::FilterSpec spec{.type = "headers", .name = "", .settings = {}, .mark = {}};
  std::get<config::HeaderRules>(spec.settings)
      .response.push_back({config::HeaderOp::kSet, "x-a", "{route}"});
  std::string error;
  const std::unique_ptr<FilterFactory> factory =
      make_filter_factory(spec, config::Config{}, nullptr, error);
  ASSERT_NE(factory, nullptr) << error;
  EXPECT_EQ(factory->name(), "headers");
  EXPECT_EQ(error, "");
}

}  // namespace
}  // namespace bulwark::proxy
