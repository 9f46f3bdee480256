// What a reload changes: listeners by name, settings that wait for a restart, the log line.

#include "server/reload_changes.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace bulwark::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string listener(std::string_view name, int port, int routes = 1) {
  std::string text = fmt::format(R"(  - name: {}
    listen: 127.0.0.1:{}
    virtual_hosts:
      - domains: ["*"]
        routes:
)",
                                 name, port);
  for (int i = 0; i < routes; ++i) {
    text += fmt::format("          - match: {{ exact: /r{} }}\n", i);
    text += "            direct_response: { status: 200, body: ok }\n";
  }
  return text;
}

// Outlives every snapshot the tests build (they point into it).
upstream::StateBoard board;

proxy::SnapshotPtr snapshot(const std::string& yaml) {
  const config::LoadResult loaded = config::load_config_string(yaml, "t.yaml");
  for (const config::Diagnostic& d : loaded.errors)
    ADD_FAILURE() << d.format();
  if (!loaded.config) return nullptr;
  std::string error;
  proxy::SnapshotPtr built = proxy::ProxySnapshot::build(loaded.config, board, {}, error);
  EXPECT_NE(built, nullptr) << error;
  return built;
}

TEST(ReloadChangesTest, NothingChanged) {
  const std::string yaml = "listeners:\n" + listener("a", 8080);
  const proxy::SnapshotPtr running = snapshot(yaml);
  const proxy::SnapshotPtr next = snapshot(yaml);
  ASSERT_TRUE(running && next);
  auto changes = compare(*running, *next, *running->config);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_THAT(changes->to_open(), IsEmpty());
  EXPECT_THAT(changes->to_close(), IsEmpty());
  EXPECT_THAT(changes->restart_only, IsEmpty());
  EXPECT_EQ(changes->summary, "listeners unchanged; 1 route(s), 1 listener(s), 0 cluster(s)");
}

TEST(ReloadChangesTest, ListenersAreKnownByName) {
  const proxy::SnapshotPtr running = snapshot("listeners:\n" + listener("kept", 8080) +
                                              listener("gone", 8081) + listener("moved", 8082));
  // Reordered, one moved, one new on the address of the one removed.
  const proxy::SnapshotPtr next = snapshot("listeners:\n" + listener("moved", 8083) +
                                           listener("new", 8081) + listener("kept", 8080, 3));
  ASSERT_TRUE(running && next);
  auto changes = compare(*running, *next, *running->config);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_THAT(changes->added, ElementsAre("new"));
  EXPECT_THAT(changes->removed, ElementsAre("gone"));
  EXPECT_THAT(changes->moved, ElementsAre("moved"));
  EXPECT_THAT(changes->to_open(), ElementsAre("new", "moved"));
  EXPECT_THAT(changes->to_close(), ElementsAre("gone", "moved"));
  EXPECT_EQ(changes->summary,
            "listeners added new; removed gone; moved moved to 127.0.0.1:8083; 5 route(s) (was "
            "3), 3 listener(s), 0 cluster(s)");
}

TEST(ReloadChangesTest, SettingsFixedAtStartAreListed) {
  const proxy::SnapshotPtr running = snapshot("workers: 2\nlisteners:\n" + listener("a", 8080));
  const proxy::SnapshotPtr next = snapshot(
      "workers: 4\nlimits: { buffer_size: 64KiB, max_connections_per_ip: 10 }\n"
      "access_log: { path: access.log }\nerror_log: { level: warn }\nlisteners:\n" +
      listener("a", 8080));
  ASSERT_TRUE(running && next);
  auto changes = compare(*running, *next, *running->config);
  ASSERT_TRUE(changes) << changes.error();
  EXPECT_THAT(changes->restart_only,
              ElementsAre("workers 2 -> 4", "limits.buffer_size 32KiB -> 64KiB",
                          "limits.max_connections_per_ip 0 -> 10", "access_log", "error_log"));
}

TEST(ReloadChangesTest, ComparesWithTheSettingsTheProcessStartedWith) {
  const proxy::SnapshotPtr started = snapshot("workers: 2\nlisteners:\n" + listener("a", 8080));
  // An earlier reload asked for 4 workers; the process still has 2, so asking for 2 again is no
  // change while asking for 3 is.
  const proxy::SnapshotPtr running = snapshot("workers: 4\nlisteners:\n" + listener("a", 8080));
  const proxy::SnapshotPtr back = snapshot("workers: 2\nlisteners:\n" + listener("a", 8080));
  ASSERT_TRUE(started && running && back);
  auto changes = compare(*running, *back, *started->config);
  ASSERT_TRUE(changes);
  EXPECT_THAT(changes->restart_only, IsEmpty());
}

TEST(ReloadChangesTest, ARequestHeadLargerThanTheRunningBuffersIsRefused) {
  const proxy::SnapshotPtr running = snapshot("listeners:\n" + listener("a", 8080));
  const proxy::SnapshotPtr next =
      snapshot("limits: { buffer_size: 128KiB, max_header_bytes: 64KiB }\nlisteners:\n" +
               listener("a", 8080));
  ASSERT_TRUE(running && next);
  auto changes = compare(*running, *next, *running->config);
  ASSERT_FALSE(changes);
  EXPECT_EQ(changes.error(),
            "limits.max_header_bytes (64KiB) does not fit the running limits.buffer_size "
            "(32KiB), which changes only at restart");
}

}  // namespace
}  // namespace bulwark::server
