// The choice of a TLS passthrough listener's cluster by server name.

#include "proxy/l4/sni_routes.h"

#include <gtest/gtest.h>

namespace bulwark::proxy {
namespace {

config::Layer4 layer4() {
  config::Layer4 out;
  out.sni_routes = {
      config::SniRoute{.server_names = {"*.example.com"}, .cluster = "wide", .cluster_index = 1},
      config::SniRoute{.server_names = {"*.api.example.com", "www.example.com"},
                       .cluster = "narrow",
                       .cluster_index = 2},
      config::SniRoute{
          .server_names = {"x.api.example.com"}, .cluster = "exact", .cluster_index = 3},
  };
  return out;
}

TEST(SniRoutesTest, ExactThenLongestSuffix) {
  const config::Layer4 routes = layer4();
  EXPECT_EQ(route_server_name(routes, "x.api.example.com"), 3U);      // exact beats both suffixes
  EXPECT_EQ(route_server_name(routes, "www.example.com"), 2U);        // exact beats *.example.com
  EXPECT_EQ(route_server_name(routes, "y.api.example.com"), 2U);      // the longer suffix
  EXPECT_EQ(route_server_name(routes, "a.b.example.com"), 1U);        // any depth below the suffix
  EXPECT_EQ(route_server_name(routes, "example.com"), std::nullopt);  // not below it
  EXPECT_EQ(route_server_name(routes, "badexample.com"), std::nullopt);
  EXPECT_EQ(route_server_name(routes, ""), std::nullopt);
}

TEST(SniRoutesTest, TheListenersClusterTakesTheRest) {
  config::Layer4 routes = layer4();
  routes.cluster = "default";
  routes.cluster_index = 7;
  EXPECT_EQ(route_server_name(routes, "other.test"), 7U);
  EXPECT_EQ(route_server_name(routes, ""), 7U);  // a ClientHello without SNI
  EXPECT_EQ(route_server_name(routes, "q.example.com"), 1U);
}

}  // namespace
}  // namespace bulwark::proxy
