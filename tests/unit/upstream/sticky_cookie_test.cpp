#include "upstream/sticky_cookie.h"

#include <gtest/gtest.h>

namespace bulwark::upstream {
namespace {

const std::vector<std::string> kEndpoints{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"};
const std::string kKey(32, 'k');

http::HeaderMap with_cookie(std::string_view value) {
  http::HeaderMap headers;
  headers.add("cookie", value);
  return headers;
}

std::string value_of(const StickyCookie& sticky, std::size_t i) {
  const std::string_view field = sticky.set_cookie(i);
  const std::size_t equals = field.find('=');
  return std::string(field.substr(equals + 1, field.find(';') - equals - 1));
}

TEST(StickyCookieTest, EachEndpointHasItsOwnSignedValueThatLeadsBackToIt) {
  config::StickySessions settings;
  const StickyCookie sticky(settings, "api", kEndpoints, kKey);
  for (std::size_t i = 0; i < kEndpoints.size(); ++i) {
    const std::string value = value_of(sticky, i);
    EXPECT_EQ(sticky.endpoint_in(with_cookie("a=1; bulwark_sticky=" + value + "; b=2")), i);
    // The address is not in it.
    EXPECT_EQ(value.find("10.0.0"), std::string::npos);
  }
  EXPECT_NE(value_of(sticky, 0), value_of(sticky, 1));
}

TEST(StickyCookieTest, ForgedOrForeignValuesAreIgnored) {
  config::StickySessions settings;
  const StickyCookie sticky(settings, "api", kEndpoints, kKey);
  std::string value = value_of(sticky, 1);
  value.back() = value.back() == '0' ? '1' : '0';  // one signature digit off
  EXPECT_EQ(sticky.endpoint_in(with_cookie("bulwark_sticky=" + value)), std::nullopt);
  EXPECT_EQ(sticky.endpoint_in(with_cookie("bulwark_sticky=" + value.substr(0, 17))), std::nullopt);
  EXPECT_EQ(sticky.endpoint_in(with_cookie("bulwark_sticky=10.0.0.2:80")), std::nullopt);
  EXPECT_EQ(sticky.endpoint_in(with_cookie("other=" + value_of(sticky, 1))), std::nullopt);
  EXPECT_EQ(sticky.endpoint_in(http::HeaderMap{}), std::nullopt);

  // Another key, or another cluster with the same key and endpoints: different signatures.
  const StickyCookie rekeyed(settings, "api", kEndpoints, std::string(32, 'x'));
  EXPECT_EQ(rekeyed.endpoint_in(with_cookie("bulwark_sticky=" + value_of(sticky, 0))),
            std::nullopt);
  const StickyCookie other(settings, "web", kEndpoints, kKey);
  EXPECT_EQ(other.endpoint_in(with_cookie("bulwark_sticky=" + value_of(sticky, 0))), std::nullopt);
}

TEST(StickyCookieTest, TheFieldCarriesTheConfiguredAttributes) {
  config::StickySessions settings;
  settings.cookie = "route";
  settings.path = "/app";
  settings.max_age = std::chrono::hours(1);
  settings.secure = true;
  settings.same_site = "None";
  const StickyCookie sticky(settings, "api", kEndpoints, kKey);
  const std::string field(sticky.set_cookie(2));
  EXPECT_TRUE(field.starts_with("route=" + value_of(sticky, 2) + "; Path=/app; Max-Age=3600"))
      << field;
  EXPECT_TRUE(field.ends_with("; Secure; HttpOnly; SameSite=None")) << field;
  const std::string session(
      StickyCookie(config::StickySessions{}, "api", kEndpoints, kKey).set_cookie(0));
  EXPECT_EQ(session.find("Max-Age"), std::string::npos);
  EXPECT_TRUE(session.ends_with("; Path=/; HttpOnly; SameSite=Lax")) << session;
}

TEST(StickyCookieTest, TheProcessKeyIsRandomAndStable) {
  EXPECT_EQ(StickyCookie::process_key().size(), 32U);
  EXPECT_EQ(StickyCookie::process_key(), StickyCookie::process_key());
  EXPECT_NE(StickyCookie::process_key(), std::string(32, '\0'));
}

}  // namespace
}  // namespace bulwark::upstream
