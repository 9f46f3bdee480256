// admin: the listener's address, and the token required off loopback.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "load_results.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

// Lines under test come first, so their numbers stay put; then a listener that needs no cluster.
std::string with_listener(std::string_view head) {
  return std::string(head) +
         "listeners:\n"
         "  - { name: public, listen: 127.0.0.1:8080, virtual_hosts: [ { domains: ['*'], "
         "routes: [ { direct_response: { status: 204 } } ] } ] }\n";
}

LoadResult load(std::string_view head) {
  return load_config_string(with_listener(head), "t.yaml");
}

std::vector<std::string> errors_of(std::string_view head) {
  return test_support::errors_of(with_listener(head));
}

TEST(AdminSettingsTest, AbsentMeansNoAdminListener) {
  const LoadResult result = load("");
  ASSERT_NE(result.config, nullptr);
  EXPECT_FALSE(result.config->admin.listen);
}

TEST(AdminSettingsTest, LoopbackNeedsNoToken) {
  for (const std::string_view head :
       {"admin: { listen: 127.0.0.1:9901 }\n", "admin: { listen: '127.0.0.2:9901' }\n",
        "admin: { listen: '[::1]:9901' }\n"}) {
    const LoadResult result = load(head);
    ASSERT_NE(result.config, nullptr) << head;
    EXPECT_EQ(result.config->admin.token, "");
    EXPECT_FALSE(result.config->admin.needs_token());
  }
}

TEST(AdminSettingsTest, OffLoopbackWithToken) {
  const LoadResult result = load("admin:\n  listen: 0.0.0.0:9901\n  token: s3cret-token\n");
  ASSERT_NE(result.config, nullptr);
  EXPECT_EQ(result.config->admin.listen->to_string(), "0.0.0.0:9901");
  EXPECT_EQ(result.config->admin.token, "s3cret-token");
  EXPECT_TRUE(result.config->admin.needs_token());
}

TEST(AdminSettingsTest, OffLoopbackWithoutTokenIsRefusedAtTheAddress) {
  EXPECT_THAT(errors_of("admin:\n  listen: 0.0.0.0:9901\n"),
              ElementsAre("t.yaml:2:11: admin.listen: '0.0.0.0:9901' is not a loopback address, "
                          "so a token is required\n  hint: add token: ${BULWARK_ADMIN_TOKEN} "
                          "(clients send Authorization: Bearer TOKEN), or listen on 127.0.0.1"));
  // A name may resolve anywhere: it counts as off loopback.
  EXPECT_THAT(errors_of("admin: { listen: localhost:9901 }\n"),
              ElementsAre(::testing::StartsWith("t.yaml:1:18: admin.listen: 'localhost:9901' is "
                                                "not a loopback address")));
}

TEST(AdminSettingsTest, BadValues) {
  EXPECT_THAT(errors_of("admin: { token: x }\n"),
              ElementsAre("t.yaml:1:8: admin: missing required key 'listen'"));
  EXPECT_THAT(errors_of("admin:\n  listen: 127.0.0.1:9901\n  token: ''\n"),
              ElementsAre("t.yaml:3:10: admin.token: the token is empty\n  hint: remove it "
                          "(loopback only), or write a long random string"));
  EXPECT_THAT(errors_of("admin: { listen: nowhere }\n"),
              ElementsAre(::testing::StartsWith("t.yaml:1:18: listen: bad address "
                                                "'nowhere'")));
  EXPECT_THAT(
      errors_of("admin: { listen: 127.0.0.1:1, port: 2 }\n"),
      ElementsAre("t.yaml:1:31: unknown key 'port' in admin\n  hint: the keys in admin are: "
                  "listen, token"));
}

}  // namespace
}  // namespace bulwark::config
