#include "filters/obfuscation/backend_rewriter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bulwark::filters {
namespace {

class BackendRewriterTest : public ::testing::Test {
 protected:
  // A cluster of two endpoints (one IPv6), one named by host name, and a route's host_rewrite
  // without a port.
  BackendRewriter rewriter_{
      {{"10.0.0.5", 8080}, {"fd00::7", 9000}, {"App.Internal", 80}, {"origin.internal", 0}}};
  core::Arena arena_;
  PublicSite site_{"https", "www.example.com"};

  std::optional<std::string> url(std::string_view value, PublicSite site) {
    auto out = rewriter_.rewrite_url(value, site, arena_);
    return out ? std::optional<std::string>(*out) : std::nullopt;
  }
  std::optional<std::string> url(std::string_view value) { return url(value, site_); }
  std::optional<std::string> refresh(std::string_view value) {
    auto out = rewriter_.rewrite_refresh(value, site_, arena_);
    return out ? std::optional<std::string>(*out) : std::nullopt;
  }
  std::optional<std::string> cookie(std::string_view value, PublicSite site) {
    auto out = rewriter_.rewrite_set_cookie(value, site, arena_);
    return out ? std::optional<std::string>(*out) : std::nullopt;
  }
  std::optional<std::string> cookie(std::string_view value) { return cookie(value, site_); }
};

TEST_F(BackendRewriterTest, LocationWithTheEndpointsPort) {
  EXPECT_EQ(url("http://10.0.0.5:8080/login?next=%2F#top"),
            "https://www.example.com/login?next=%2F#top");
  EXPECT_EQ(url("HTTP://10.0.0.5:8080"), "https://www.example.com/");
  EXPECT_EQ(url("http://10.0.0.5:8080?x=1"), "https://www.example.com/?x=1");
}

TEST_F(BackendRewriterTest, LocationWithoutAPortMeansTheSchemesDefault) {
  EXPECT_EQ(url("http://app.internal/x"), "https://www.example.com/x");
  EXPECT_EQ(url("http://APP.INTERNAL:80/x"), "https://www.example.com/x");
  EXPECT_EQ(url("http://app.internal:/x"), "https://www.example.com/x");  // empty port
  // https on 443 is not the endpoint on port 80.
  EXPECT_EQ(url("https://app.internal/x"), std::nullopt);
  EXPECT_EQ(url("http://10.0.0.5/x"), std::nullopt);  // port 80, the endpoint is 8080
}

TEST_F(BackendRewriterTest, LocationToAnotherPortOrHostIsLeftAlone) {
  EXPECT_EQ(url("http://10.0.0.5:8081/x"), std::nullopt);
  EXPECT_EQ(url("http://10.0.0.50:8080/x"), std::nullopt);
  EXPECT_EQ(url("https://www.example.com/x"), std::nullopt);
  // A backend sending the client to the public site itself (http to https, say) is not
  // rewritten: that would turn it into a loop.
  EXPECT_EQ(url("https://www.example.com/", {"http", "www.example.com"}), std::nullopt);
}

TEST_F(BackendRewriterTest, HostSentUpstreamWithoutAPortMatchesAnyPort) {
  EXPECT_EQ(url("http://origin.internal:3000/a"), "https://www.example.com/a");
  EXPECT_EQ(url("https://origin.internal/a"), "https://www.example.com/a");
}

TEST_F(BackendRewriterTest, IPv6Location) {
  EXPECT_EQ(url("http://[fd00::7]:9000/v6"), "https://www.example.com/v6");
  EXPECT_EQ(url("http://[FD00::7]:9000"), "https://www.example.com/");
  EXPECT_EQ(url("http://[fd00::7]/v6"), std::nullopt);      // port 80
  EXPECT_EQ(url("http://[fd00::7:9000/v6"), std::nullopt);  // unclosed bracket
  EXPECT_EQ(url("http://fd00::7:9000/v6"), std::nullopt);   // IPv6 without brackets
}

TEST_F(BackendRewriterTest, KeepsThePublicPort) {
  EXPECT_EQ(url("http://10.0.0.5:8080/p", {"http", "127.0.0.1:8443"}), "http://127.0.0.1:8443/p");
  EXPECT_EQ(url("http://10.0.0.5:8080/p", {"http", "[::1]:8443"}), "http://[::1]:8443/p");
}

TEST_F(BackendRewriterTest, WithoutAPublicHostTheResultIsAPath) {
  EXPECT_EQ(url("http://10.0.0.5:8080/p?q", {"http", ""}), "/p?q");
  EXPECT_EQ(url("http://10.0.0.5:8080", {"http", ""}), "/");
}

TEST_F(BackendRewriterTest, SchemeRelativeLocationIsABackendToo) {
  EXPECT_EQ(url("//10.0.0.5:8080/x"), "https://www.example.com/x");
}

TEST_F(BackendRewriterTest, UserinfoGoesWithTheBackendsName) {
  EXPECT_EQ(url("http://user:pw@10.0.0.5:8080/x"), "https://www.example.com/x");
}

TEST_F(BackendRewriterTest, RelativeAndOtherLocationsAreLeftAlone) {
  EXPECT_EQ(url("/login"), std::nullopt);
  EXPECT_EQ(url("login?x=http://10.0.0.5:8080/"), std::nullopt);
  EXPECT_EQ(url("ftp://10.0.0.5:8080/x"), std::nullopt);
  EXPECT_EQ(url(""), std::nullopt);
  EXPECT_EQ(url("http://10.0.0.5:99999/x"), std::nullopt);  // not a port
  EXPECT_EQ(url("http://10.0.0.5:80a/x"), std::nullopt);
}

TEST_F(BackendRewriterTest, Refresh) {
  EXPECT_EQ(refresh("5; url=http://10.0.0.5:8080/next"), "5; url=https://www.example.com/next");
  EXPECT_EQ(refresh("0;URL=http://10.0.0.5:8080/"), "0;URL=https://www.example.com/");
  EXPECT_EQ(refresh("3; url = 'http://10.0.0.5:8080/q'"), "3; url = 'https://www.example.com/q'");
  EXPECT_EQ(refresh("3; URL=\"http://10.0.0.5:8080/q\"  "),
            "3; URL=\"https://www.example.com/q\"  ");
  EXPECT_EQ(refresh("1, http://10.0.0.5:8080/bare "), "1, https://www.example.com/bare ");
}

TEST_F(BackendRewriterTest, RefreshLeftAlone) {
  EXPECT_EQ(refresh("5"), std::nullopt);
  EXPECT_EQ(refresh("5; "), std::nullopt);
  EXPECT_EQ(refresh("5; url="), std::nullopt);
  EXPECT_EQ(refresh("5; url=/relative"), std::nullopt);
  EXPECT_EQ(refresh("5; url=https://elsewhere.example/"), std::nullopt);
}

TEST_F(BackendRewriterTest, CookieDomainNamingABackendBecomesThePublicHost) {
  EXPECT_EQ(cookie("sid=1; Path=/; Domain=app.internal; HttpOnly"),
            "sid=1; Path=/; Domain=www.example.com; HttpOnly");
  EXPECT_EQ(cookie("sid=1; domain = .APP.internal"), "sid=1; domain = www.example.com");
  // Cookies do not care about ports: any endpoint's host is a backend.
  EXPECT_EQ(cookie("sid=1;Domain=10.0.0.5", {"https", "shop.example.com:8443"}),
            "sid=1;Domain=shop.example.com");
}

TEST_F(BackendRewriterTest, CookieDomainGoesWhenThePublicHostIsAnAddressOrUnknown) {
  EXPECT_EQ(cookie("sid=1; Domain=10.0.0.5; Secure", {"http", "127.0.0.1:8080"}), "sid=1; Secure");
  EXPECT_EQ(cookie("sid=1; Domain=10.0.0.5", {"http", "[::1]:8080"}), "sid=1");
  EXPECT_EQ(cookie("sid=1; Domain=10.0.0.5", {"http", ""}), "sid=1");
}

TEST_F(BackendRewriterTest, EveryBackendDomainAttributeIsRewritten) {
  EXPECT_EQ(cookie("a=b; Domain=10.0.0.5; Path=/; Domain=app.internal"),
            "a=b; Domain=www.example.com; Path=/; Domain=www.example.com");
  EXPECT_EQ(cookie("a=b; Domain=10.0.0.5; Domain=app.internal", {"http", ""}), "a=b");
}

TEST_F(BackendRewriterTest, OtherCookiesAreLeftAlone) {
  EXPECT_EQ(cookie("sid=1"), std::nullopt);
  EXPECT_EQ(cookie("sid=1; Domain=example.com"), std::nullopt);
  EXPECT_EQ(cookie("sid=1; Domain="), std::nullopt);
  EXPECT_EQ(cookie("domain=10.0.0.5"), std::nullopt);  // the cookie's own name and value
  EXPECT_EQ(cookie("sid=1; Path=/10.0.0.5; Domain"), std::nullopt);
}

// A route with prefix_rewrite /app/ -> /: the backend lives at /, the client at /app/.
TEST_F(BackendRewriterTest, PathsUnderTheUpstreamPrefixAreMappedBack) {
  const PublicSite mapped{.scheme = "https",
                          .host = "www.example.com",
                          .public_prefix = "/app/",
                          .upstream_prefix = "/"};
  EXPECT_EQ(url("/login?next=%2F", mapped), "/app/login?next=%2F");
  EXPECT_EQ(url("http://10.0.0.5:8080/login", mapped), "https://www.example.com/app/login");
  EXPECT_EQ(url("http://10.0.0.5:8080", mapped), "https://www.example.com/app/");
  // Not a backend's, or not a path: left alone.
  EXPECT_EQ(url("https://elsewhere.example/login", mapped), std::nullopt);
  EXPECT_EQ(url("relative/login", mapped), std::nullopt);
  // Without a mapping, an absolute path is the public site's already.
  EXPECT_EQ(url("/login"), std::nullopt);
}

TEST_F(BackendRewriterTest, MappingOnlyTouchesPathsUnderTheUpstreamPrefix) {
  const PublicSite mapped{
      .scheme = "http", .host = "h", .public_prefix = "/api/", .upstream_prefix = "/v2/"};
  EXPECT_EQ(url("/v2/users/7", mapped), "/api/users/7");
  EXPECT_EQ(url("/other", mapped), std::nullopt);
  const PublicSite stripped{
      .scheme = "http", .host = "h", .public_prefix = "/api", .upstream_prefix = ""};
  EXPECT_EQ(url("/users", stripped), "/api/users");
}

TEST_F(BackendRewriterTest, CookiePathIsMappedAndDomainStillRewritten) {
  const PublicSite mapped{.scheme = "https",
                          .host = "www.example.com",
                          .public_prefix = "/app/",
                          .upstream_prefix = "/"};
  EXPECT_EQ(cookie("sid=1; Path=/; HttpOnly", mapped), "sid=1; Path=/app/; HttpOnly");
  EXPECT_EQ(cookie("sid=1; Domain=10.0.0.5; path=/account", mapped),
            "sid=1; Domain=www.example.com; path=/app/account");
  EXPECT_EQ(cookie("sid=1; Path=/", site_), std::nullopt);
}

}  // namespace
}  // namespace bulwark::filters
