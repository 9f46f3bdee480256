// The operator's command language over a snapshot's clusters: every command, every error.

#include "admin/control_commands.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace bulwark::admin {
namespace {

using upstream::AdminState;

class ControlCommandsTest : public ::testing::Test {
 protected:
  ControlCommandsTest() {
    clusters_.push_back(cluster("backend", {"127.0.0.1:8001", "127.0.0.1:8002"}));
    clusters_.push_back(cluster("api", {"[::1]:80"}));
  }

  // A cluster as a snapshot build makes it: its endpoints' states come from the board.
  upstream::Cluster cluster(const std::string& name, std::initializer_list<std::string> labels) {
    upstream::Cluster made;
    made.name = name;
    made.counters = board_.counters(name);
    for (const std::string& label : labels)
      made.endpoints.push_back({asio::ip::tcp::endpoint(), label, board_.endpoint(name, label)});
    return made;
  }

  ControlAnswer run(std::string_view line) const { return run_control_command(line, clusters_); }
  std::string error_of(std::string_view line) const {
    const ControlAnswer answer = run(line);
    EXPECT_FALSE(answer.ok) << line;
    return answer.text;
  }
  AdminState admin_of(std::string_view cluster, std::string_view identity) {
    return board_.find(cluster, identity)->admin();
  }

  upstream::StateBoard board_;
  std::vector<upstream::Cluster> clusters_;
};

TEST_F(ControlCommandsTest, DrainDisableAndEnableSetTheEndpointsStateOnTheBoard) {
  const std::uint64_t epoch = board_.epoch();
  ControlAnswer answer = run("endpoint drain backend 127.0.0.1:8002");
  EXPECT_TRUE(answer.ok);
  EXPECT_EQ(answer.text, "ok");
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8002"), AdminState::kDraining);
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8001"), AdminState::kActive);
  EXPECT_GT(board_.epoch(), epoch);  // the workers' balancers look again

  EXPECT_EQ(run("endpoint disable backend 127.0.0.1:8002").text, "ok");
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8002"), AdminState::kDisabled);
  EXPECT_EQ(run("endpoint enable backend 127.0.0.1:8002").text, "ok");
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8002"), AdminState::kActive);
  // Setting the state it has is no error.
  EXPECT_EQ(run("endpoint enable backend 127.0.0.1:8002").text, "ok");
  EXPECT_EQ(run("endpoint disable api [::1]:80").text, "ok");
  EXPECT_EQ(admin_of("api", "[::1]:80"), AdminState::kDisabled);
}

TEST_F(ControlCommandsTest, BlanksAroundAndBetweenWordsDoNotMatter) {
  EXPECT_EQ(run("  endpoint\tdrain   backend 127.0.0.1:8001 \r").text, "ok");
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8001"), AdminState::kDraining);
}

TEST_F(ControlCommandsTest, TheListingShowsEveryEndpointsStateInAlignedColumns) {
  board_.find("backend", "127.0.0.1:8001")->set_admin(AdminState::kDraining);
  board_.find("backend", "127.0.0.1:8002")->set_healthy(false);
  board_.find("backend", "127.0.0.1:8002")
      ->eject_until(core::Clock::now() + std::chrono::seconds(30));
  board_.find("api", "[::1]:80")->set_admin(AdminState::kDisabled);
  const ControlAnswer answer = run("endpoints");
  EXPECT_TRUE(answer.ok);
  EXPECT_EQ(answer.text,
            "cluster  endpoint        state     health     ejected  ejections\n"
            "backend  127.0.0.1:8001  draining  healthy    no       0\n"
            "backend  127.0.0.1:8002  active    unhealthy  yes      1\n"
            "api      [::1]:80        disabled  healthy    no       0");
}

TEST_F(ControlCommandsTest, TheListingOfOneCluster) {
  const ControlAnswer answer = run("endpoints api");
  EXPECT_TRUE(answer.ok);
  EXPECT_EQ(answer.text,
            "cluster  endpoint  state   health   ejected  ejections\n"
            "api      [::1]:80  active  healthy  no       0");
}

TEST_F(ControlCommandsTest, AStateSetThroughOneSnapshotIsTheStateInTheNext) {
  // A reload builds new clusters from the same board: an endpoint that stays keeps its state.
  EXPECT_EQ(run("endpoint drain backend 127.0.0.1:8001").text, "ok");
  const std::vector<upstream::Cluster> reloaded{cluster("backend", {"127.0.0.1:8001"})};
  EXPECT_EQ(run_control_command("endpoints", reloaded).text,
            "cluster  endpoint        state     health   ejected  ejections\n"
            "backend  127.0.0.1:8001  draining  healthy  no       0");
}

TEST_F(ControlCommandsTest, HelpListsTheCommands) {
  const ControlAnswer answer = run("help");
  EXPECT_TRUE(answer.ok);
  for (const char* command :
       {"endpoints [CLUSTER]", "endpoint drain CLUSTER HOST:PORT",
        "endpoint disable CLUSTER HOST:PORT", "endpoint enable CLUSTER HOST:PORT"}) {
    EXPECT_NE(answer.text.find(command), std::string::npos) << command;
  }
  EXPECT_EQ(answer.text.find("\n\n"), std::string::npos);  // an empty line ends an answer
  EXPECT_EQ(error_of("help me"), "error: usage: help");
}

TEST_F(ControlCommandsTest, UnknownClusters) {
  EXPECT_EQ(error_of("endpoint drain backnd 127.0.0.1:8001"),
            "error: no cluster 'backnd'; did you mean 'backend'?");
  EXPECT_EQ(error_of("endpoint drain web 127.0.0.1:8001"),
            "error: no cluster 'web'; the clusters are backend, api");
  EXPECT_EQ(error_of("endpoints web"), "error: no cluster 'web'; the clusters are backend, api");
  EXPECT_EQ(run_control_command("endpoints web", {}).text,
            "error: no cluster 'web': the configuration has none");
  EXPECT_TRUE(run_control_command("endpoints", {}).ok);  // nothing to list is no error
}

TEST_F(ControlCommandsTest, UnknownEndpointsListTheClustersEndpoints) {
  EXPECT_EQ(error_of("endpoint disable backend 127.0.0.1:8003"),
            "error: cluster 'backend' has no endpoint '127.0.0.1:8003'; its endpoints are "
            "127.0.0.1:8001, 127.0.0.1:8002");
  // The configured spelling is the name: another one for the same address is not.
  EXPECT_EQ(error_of("endpoint disable backend localhost:8001"),
            "error: cluster 'backend' has no endpoint 'localhost:8001'; its endpoints are "
            "127.0.0.1:8001, 127.0.0.1:8002");
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8001"), AdminState::kActive);

  std::vector<upstream::Cluster> big{
      cluster("big", {"a:1", "a:2", "a:3", "a:4", "a:5", "a:6", "a:7", "a:8", "a:9", "a:10"})};
  EXPECT_EQ(run_control_command("endpoint drain big b:1", big).text,
            "error: cluster 'big' has no endpoint 'b:1'; its endpoints are a:1, a:2, a:3, a:4, "
            "a:5, a:6, a:7, a:8 and 2 more");
}

TEST_F(ControlCommandsTest, BadSyntax) {
  constexpr std::string_view kUsage =
      "error: usage: endpoint drain|disable|enable CLUSTER HOST:PORT";
  EXPECT_EQ(error_of("endpoint"), kUsage);
  EXPECT_EQ(error_of("endpoint drain"), kUsage);
  EXPECT_EQ(error_of("endpoint drain backend"), kUsage);
  EXPECT_EQ(error_of("endpoint drain backend 127.0.0.1:8001 now"), kUsage);
  EXPECT_EQ(error_of("endpoint drian backend 127.0.0.1:8001"),
            "error: unknown action 'drian'; did you mean 'drain'?");
  EXPECT_EQ(error_of("endpoint stop backend 127.0.0.1:8001"),
            "error: unknown action 'stop'; usage: endpoint drain|disable|enable CLUSTER "
            "HOST:PORT");
  EXPECT_EQ(error_of("endpoints backend api"), "error: usage: endpoints [CLUSTER]");
  EXPECT_EQ(error_of("endpont drain backend 127.0.0.1:8001"),
            "error: unknown command 'endpont'; did you mean 'endpoint'?");
  EXPECT_EQ(error_of("reboot"), "error: unknown command 'reboot'; 'help' lists the commands");
  EXPECT_EQ(error_of(""), "error: empty command; 'help' lists the commands");
  EXPECT_EQ(error_of(" \t"), "error: empty command; 'help' lists the commands");
  // Nothing changed on the way.
  EXPECT_EQ(admin_of("backend", "127.0.0.1:8001"), AdminState::kActive);
}

}  // namespace
}  // namespace bulwark::admin
