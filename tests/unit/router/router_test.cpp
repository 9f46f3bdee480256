#include "router/router.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "route_builders.h"

namespace bulwark::router {
namespace {

using fixtures::exact_route;
using fixtures::listener;
using fixtures::prefix_route;
using fixtures::vhost;

const config::Route* pick(const Router& router, std::string_view host, std::string_view target) {
  return router.route({.host = host, .target = target, .method = "GET"}).route;
}

// The first route of virtual host `index`, for comparing what route() returned.
const config::Route* first_route_of(const config::Listener& l, std::size_t index) {
  return &l.virtual_hosts.at(index).routes.at(0);
}

// ---- virtual hosts: exact -----------------------------------------------------------------------

TEST(RouterHostTest, ExactHostMatches) {
  const auto l = listener({vhost({"a.example"}), vhost({"b.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "b.example", "/"), first_route_of(l, 1));
}

TEST(RouterHostTest, UnknownHostWithoutDefaultHasNoRoute) {
  const auto l = listener({vhost({"a.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "c.example", "/"), nullptr);
  EXPECT_EQ(pick(router, "", "/"), nullptr);
}

TEST(RouterHostTest, HostMatchIsCaseInsensitive) {
  const auto l = listener({vhost({"Mixed.Example.COM"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "mixed.example.com", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "MIXED.EXAMPLE.COM", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, PortIsIgnored) {
  const auto l = listener({vhost({"a.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example:8080", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "A.Example:443", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, IPv6LiteralWithAndWithoutPort) {
  const auto l = listener({vhost({"[::1]"}), vhost({"[2001:db8::1]"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "[::1]", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "[::1]:8080", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "[2001:DB8::1]:443", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "[::2]:8080", "/"), nullptr);
}

TEST(RouterHostTest, IPv4LiteralWithPort) {
  const auto l = listener({vhost({"127.0.0.1"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "127.0.0.1:8080", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "127.0.0.2", "/"), nullptr);
}

TEST(RouterHostTest, OneVirtualHostMayHaveSeveralDomains) {
  const auto l = listener({vhost({"a.example", "www.a.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "www.a.example", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "a.example", "/"), first_route_of(l, 0));
}

// ---- virtual hosts: ports ----------------------------------------------------------------------

RouteHit hit_on(const Router& router, std::string_view host, std::uint16_t local_port) {
  return router.route({.host = host, .target = "/", .method = "GET", .local_port = local_port});
}

TEST(RouterPortTest, DomainWithPortTakesOnlyThatPort) {
  const auto l = listener({vhost({"a.example:8080"})});
  const Router router(l);
  EXPECT_EQ(hit_on(router, "a.example:8080", 80).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "a.example:8081", 8080).route, nullptr);  // the Host's port counts
  EXPECT_EQ(hit_on(router, "a.example", 8080).route, first_route_of(l, 0));  // else the listener's
  EXPECT_EQ(hit_on(router, "a.example", 80).route, nullptr);
  EXPECT_EQ(hit_on(router, "a.example:80x", 8080).route, nullptr);  // not a port: no port matches
}

TEST(RouterPortTest, PortSpecificDomainWinsOverTheSameNameWithoutPort) {
  const auto l = listener({vhost({"a.example"}), vhost({"a.example:8443"})});
  const Router router(l);
  const RouteHit on_port = hit_on(router, "A.EXAMPLE:8443", 80);
  EXPECT_EQ(on_port.route, first_route_of(l, 1));
  EXPECT_EQ(on_port.vhost, &l.virtual_hosts[1]);
  EXPECT_EQ(on_port.vhost_index, 1U);
  EXPECT_EQ(hit_on(router, "a.example:80", 8443).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "a.example", 8443).route, first_route_of(l, 1));
}

TEST(RouterPortTest, EmptyPortMeansTheListenersPort) {
  const auto l = listener({vhost({"a.example:8080"})});
  const Router router(l);
  EXPECT_EQ(hit_on(router, "a.example:", 8080).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "a.example:", 80).route, nullptr);
}

TEST(RouterPortTest, WildcardAndDefaultWithPort) {
  const auto l =
      listener({vhost({"*.example:8080"}), vhost({"*.example"}), vhost({"*:9000"}), vhost({"*"})});
  const Router router(l);
  EXPECT_EQ(hit_on(router, "x.example:8080", 1).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "x.example:8081", 1).route, first_route_of(l, 1));
  EXPECT_EQ(hit_on(router, "other", 9000).route, first_route_of(l, 2));
  EXPECT_EQ(hit_on(router, "other:9001", 9000).route, first_route_of(l, 3));
}

TEST(RouterPortTest, IPv6LiteralWithPortSpecificDomain) {
  const auto l = listener({vhost({"[::1]:8080"})});
  const Router router(l);
  EXPECT_EQ(hit_on(router, "[::1]:8080", 1).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "[::1]", 8080).route, first_route_of(l, 0));
  EXPECT_EQ(hit_on(router, "[::1]:8081", 8080).route, nullptr);
}

TEST(RouterHostTest, TrailingDotOfAnAbsoluteNameIsIgnored) {
  const auto l = listener({vhost({"a.example"}), vhost({"*.b.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example.", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "x.b.example.:80", "/"), first_route_of(l, 1));
}

TEST(RouterHostTest, ManyHostsFindTheirOwn) {
  std::vector<config::VirtualHost> hosts;
  hosts.reserve(500);
  for (int i = 0; i < 500; ++i) {
    hosts.push_back(
        vhost({"h" + std::to_string(i) + ".example", "*.w" + std::to_string(i) + ".example"}));
  }
  const auto l = listener(std::move(hosts));
  const Router router(l);
  for (std::uint32_t i = 0; i < 500; i += 7) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(router.route({.host = "H" + n + ".Example"}).vhost_index, i);
    EXPECT_EQ(router.route({.host = "a.b.w" + n + ".example"}).vhost_index, i);
  }
  EXPECT_EQ(router.route({.host = "h500.example"}).vhost, nullptr);
}

// ---- virtual hosts: wildcard --------------------------------------------------------------------

TEST(RouterHostTest, WildcardMatchesSubdomains) {
  const auto l = listener({vhost({"*.example.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "api.example.com", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "a.b.example.com:81", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "API.EXAMPLE.COM", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, WildcardDoesNotMatchTheBareDomain) {
  const auto l = listener({vhost({"*.example.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "example.com", "/"), nullptr);
  EXPECT_EQ(pick(router, ".example.com", "/"), nullptr);
}

TEST(RouterHostTest, WildcardDoesNotMatchASuffixWithoutADot) {
  const auto l = listener({vhost({"*.example.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "badexample.com", "/"), nullptr);
  EXPECT_EQ(pick(router, "example.com.evil", "/"), nullptr);
}

TEST(RouterHostTest, UpperCaseWildcardMatches) {
  const auto l = listener({vhost({"*.EXAMPLE.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "x.example.COM", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, LongestWildcardSuffixWinsWhateverTheOrder) {
  const auto l = listener({vhost({"*.example.com"}), vhost({"*.api.example.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "v1.api.example.com", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "www.example.com", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "api.example.com", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, ExactHostBeatsWildcard) {
  const auto l = listener({vhost({"*.example.com"}), vhost({"api.example.com"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "api.example.com", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "web.example.com", "/"), first_route_of(l, 0));
}

// ---- virtual hosts: default ---------------------------------------------------------------------

TEST(RouterHostTest, DefaultCatchesEverythingElse) {
  const auto l = listener({vhost({"a.example"}), vhost({"*"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/"), first_route_of(l, 0));
  EXPECT_EQ(pick(router, "other.example", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "[::1]:80", "/"), first_route_of(l, 1));
}

TEST(RouterHostTest, DefaultListedFirstDoesNotShadowSpecificHosts) {
  const auto l = listener({vhost({"*"}), vhost({"a.example"}), vhost({"*.b.example"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/"), first_route_of(l, 1));
  EXPECT_EQ(pick(router, "x.b.example", "/"), first_route_of(l, 2));
  EXPECT_EQ(pick(router, "zzz", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, FirstDefaultWins) {
  const auto l = listener({vhost({"*"}), vhost({"*"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "any", "/"), first_route_of(l, 0));
}

TEST(RouterHostTest, NoVirtualHostsMeansNoRoute) {
  const auto l = listener({});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/"), nullptr);
}

TEST(RouterHostTest, MatchedHostWithoutMatchingRouteDoesNotFallBackToDefault) {
  const auto l = listener({vhost({"a.example"}, {prefix_route("/api")}), vhost({"*"})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/other"), nullptr);
}

// ---- routes -------------------------------------------------------------------------------------

TEST(RouterRouteTest, FirstMatchingRouteWins) {
  const auto l = listener({vhost({"*"}, {prefix_route("/"), prefix_route("/api")})});
  const Router router(l);
  EXPECT_EQ(pick(router, "h", "/api/users"), &l.virtual_hosts[0].routes[0]);
}

TEST(RouterRouteTest, MoreSpecificRouteListedFirstWins) {
  const auto l = listener({vhost({"*"}, {prefix_route("/api"), prefix_route("/")})});
  const Router router(l);
  EXPECT_EQ(pick(router, "h", "/api/users"), &l.virtual_hosts[0].routes[0]);
  EXPECT_EQ(pick(router, "h", "/static/x.css"), &l.virtual_hosts[0].routes[1]);
}

TEST(RouterRouteTest, PrefixMatchesStartOfPath) {
  const auto l = listener({vhost({"*"}, {prefix_route("/api")})});
  const Router router(l);
  EXPECT_NE(pick(router, "h", "/api"), nullptr);
  EXPECT_NE(pick(router, "h", "/api/v1"), nullptr);
  EXPECT_EQ(pick(router, "h", "/ap"), nullptr);
  EXPECT_EQ(pick(router, "h", "/v1/api"), nullptr);
  EXPECT_EQ(pick(router, "h", "/API"), nullptr);  // paths are case-sensitive
}

TEST(RouterRouteTest, ExactMatchesOnlyTheWholePath) {
  const auto l = listener({vhost({"*"}, {exact_route("/health"), prefix_route("/")})});
  const Router router(l);
  const config::Route* exact = &l.virtual_hosts[0].routes[0];
  const config::Route* fallback = &l.virtual_hosts[0].routes[1];
  EXPECT_EQ(pick(router, "h", "/health"), exact);
  EXPECT_EQ(pick(router, "h", "/health/"), fallback);
  EXPECT_EQ(pick(router, "h", "/healthz"), fallback);
  EXPECT_EQ(pick(router, "h", "/heal"), fallback);
}

TEST(RouterRouteTest, QueryIsIgnoredForExactMatch) {
  const auto l = listener({vhost({"*"}, {exact_route("/health")})});
  const Router router(l);
  EXPECT_NE(pick(router, "h", "/health?verbose=1"), nullptr);
  EXPECT_NE(pick(router, "h", "/health?"), nullptr);
}

TEST(RouterRouteTest, QueryIsIgnoredForPrefixMatch) {
  const auto l = listener({vhost({"*"}, {prefix_route("/search")})});
  const Router router(l);
  EXPECT_NE(pick(router, "h", "/search?q=1"), nullptr);
  // A prefix that only appears in the query must not match.
  EXPECT_EQ(pick(router, "h", "/other?/search"), nullptr);
}

TEST(RouterRouteTest, PrefixCannotReachIntoTheQuery) {
  const auto l = listener({vhost({"*"}, {prefix_route("/a?x")})});
  const Router router(l);
  EXPECT_EQ(pick(router, "h", "/a?x=1"), nullptr);
}

TEST(RouterRouteTest, VirtualHostWithoutRoutesHasNoRoute) {
  const auto l = listener({vhost({"*"}, {})});
  const Router router(l);
  EXPECT_EQ(pick(router, "h", "/"), nullptr);
}

TEST(RouterRouteTest, RoutesAreLookedUpInTheMatchedVirtualHost) {
  const auto l = listener(
      {vhost({"a.example"}, {prefix_route("/a")}), vhost({"b.example"}, {prefix_route("/b")})});
  const Router router(l);
  EXPECT_EQ(pick(router, "a.example", "/a/x"), &l.virtual_hosts[0].routes[0]);
  EXPECT_EQ(pick(router, "a.example", "/b/x"), nullptr);
  EXPECT_EQ(pick(router, "b.example", "/b/x"), &l.virtual_hosts[1].routes[0]);
}

}  // namespace
}  // namespace bulwark::router
