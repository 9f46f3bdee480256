// The admin API without a socket: routing, methods, the bearer token, endpoint actions through
// the control commands, reload, and secrets kept out of /api/config.

#include "admin/admin_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace bulwark::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeBackend final : public AdminBackend {
 public:
  FakeBackend() {
    running.source = "t.yaml";
    running.admin.listen = net::HostPort{"127.0.0.1", 9901};
    running.admin.token = "the-token";
    upstream::Cluster cluster;
    cluster.name = "backend";
    cluster.counters = board.counters("backend");
    cluster.endpoints.push_back(
        {asio::ip::tcp::endpoint(), "127.0.0.1:8001", board.endpoint("backend", "127.0.0.1:8001")});
    cluster_list.push_back(std::move(cluster));
  }
  std::string metrics() override { return "bulwark_x 1\n"; }
  const config::Config& running_config() override { return running; }
  std::span<const upstream::Cluster> clusters() override { return cluster_list; }
  bool reload_configuration() override {
    ++reloads;
    return reload_ok;
  }

  upstream::StateBoard board;
  config::Config running;
  std::vector<upstream::Cluster> cluster_list;
  int reloads = 0;
  bool reload_ok = true;
};

class AdminApiTest : public ::testing::Test {
 protected:
  AdminReply call(std::string_view method, std::string_view target,
                  std::string_view authorization = {}, std::string_view token = {}) {
    return handle_admin_request({method, target, authorization}, token, backend_);
  }
  static std::string error_of(const AdminReply& reply) {
    return nlohmann::json::parse(reply.body).at("error").get<std::string>();
  }

  FakeBackend backend_;
};

TEST_F(AdminApiTest, Metrics) {
  const AdminReply reply = call("GET", "/metrics?x=1");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body, "bulwark_x 1\n");
}

TEST_F(AdminApiTest, UnknownPathsAndWrongMethods) {
  AdminReply reply = call("GET", "/nothing");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(error_of(reply), "no such admin path '/nothing'");
  reply = call("POST", "/metrics");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.allow, "GET");
  reply = call("GET", "/api/reload");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.allow, "POST");
  EXPECT_EQ(backend_.reloads, 0);
  reply = call("GET", "/api/endpoints/backend/127.0.0.1:8001/drain");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(call("POST", "/api/endpoints/backend/drain").status, 404);
  EXPECT_EQ(call("POST", "/api/endpoints/backend/127.0.0.1%2/drain").status, 400);
  EXPECT_EQ(call("POST", "/api/endpoints/backend/a%20b/drain").status, 400);
}

TEST_F(AdminApiTest, EndpointActionsGoThroughTheControlCommands) {
  AdminReply reply = call("POST", "/api/endpoints/backend/127.0.0.1:8001/drain");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(backend_.board.find("backend", "127.0.0.1:8001")->admin(),
            upstream::AdminState::kDraining);
  reply = call("POST", "/api/endpoints/backend/127.0.0.1%3A8001/enable");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(backend_.board.find("backend", "127.0.0.1:8001")->admin(),
            upstream::AdminState::kActive);

  reply = call("POST", "/api/endpoints/nope/127.0.0.1:8001/drain");
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(error_of(reply), HasSubstr("no cluster 'nope'"));
  reply = call("POST", "/api/endpoints/backend/127.0.0.1:9/drain");
  EXPECT_EQ(reply.status, 404);
  reply = call("POST", "/api/endpoints/backend/127.0.0.1:8001/dran");
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(error_of(reply), HasSubstr("did you mean 'drain'"));
}

TEST_F(AdminApiTest, HealthAndBuildAndConfig) {
  backend_.board.find("backend", "127.0.0.1:8001")->set_admin(upstream::AdminState::kDisabled);
  const nlohmann::json health = nlohmann::json::parse(call("GET", "/api/health").body);
  const nlohmann::json& endpoint = health.at("clusters").at(0).at("endpoints").at(0);
  EXPECT_EQ(health.at("clusters").at(0).at("name"), "backend");
  EXPECT_EQ(endpoint.at("endpoint"), "127.0.0.1:8001");
  EXPECT_EQ(endpoint.at("state"), "disabled");
  EXPECT_EQ(endpoint.at("healthy"), true);

  const nlohmann::json build = nlohmann::json::parse(call("GET", "/api/build").body);
  EXPECT_FALSE(build.at("version").get<std::string>().empty());
  EXPECT_FALSE(build.at("compiler").get<std::string>().empty());

  const AdminReply config = call("GET", "/api/config");
  EXPECT_EQ(config.status, 200);
  EXPECT_THAT(config.body, Not(HasSubstr("the-token")));
  EXPECT_EQ(nlohmann::json::parse(config.body).at("admin").at("token"), "<redacted>");
}

TEST_F(AdminApiTest, Reload) {
  EXPECT_EQ(call("POST", "/api/reload").status, 200);
  backend_.reload_ok = false;
  EXPECT_EQ(call("POST", "/api/reload").status, 500);
  EXPECT_EQ(backend_.reloads, 2);
}

TEST_F(AdminApiTest, TokenIsRequiredWhenSet) {
  EXPECT_EQ(call("GET", "/metrics", {}, "the-token").status, 401);
  EXPECT_EQ(call("GET", "/metrics", "Bearer wrong", "the-token").status, 401);
  EXPECT_EQ(call("GET", "/metrics", "Basic the-token", "the-token").status, 401);
  EXPECT_EQ(call("POST", "/api/reload", "Bearer the-toke", "the-token").status, 401);
  EXPECT_EQ(backend_.reloads, 0);
  EXPECT_EQ(call("GET", "/metrics", "Bearer the-token", "the-token").status, 200);
  EXPECT_EQ(call("GET", "/metrics", "bearer the-token", "the-token").status, 200);
  // Unknown paths are not told apart from known ones without the token.
  EXPECT_EQ(call("GET", "/nothing", {}, "the-token").status, 401);
}

TEST(BearerTest, Matches) {
  EXPECT_TRUE(bearer_matches("Bearer abc", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer ab", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer", "abc"));
  EXPECT_FALSE(bearer_matches("", "abc"));
}

}  // namespace
}  // namespace bulwark::admin
