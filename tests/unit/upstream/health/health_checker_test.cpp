// A cluster's checker against real loopback origins: verdicts after exactly rise or fall results,
// the reasons logged, timeouts, jitter, a clean stop and the hand-over at a reload.

#include "upstream/health/health_checker.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../loopback.h"
#include "scripted_origin.h"
#include "upstream/health/health_checkers.h"
#include "upstream/health/rise_fall_counter.h"

namespace bulwark::upstream::health {
namespace {

using namespace std::chrono_literals;
using pooltest::run_until;
using test::ScriptedOrigin;

constexpr std::string_view kServiceUnavailable =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Collects what the checkers log while it lives.
class LogCapture {
 public:
  LogCapture()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    auto logger = std::make_shared<spdlog::logger>("test", sink_);
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

config::HealthCheck fast_check(bool http) {
  config::HealthCheck check;
  if (http) check.http = config::HealthCheck::Http{};
  check.interval = 20ms;
  check.timeout = 1s;
  check.rise = 2;
  check.fall = 3;
  return check;
}

class HealthCheckerTest : public ::testing::Test {
 protected:
  ClusterEndpoint endpoint(const asio::ip::tcp::endpoint& address) {
    std::string label = fmt::format("127.0.0.1:{}", address.port());
    auto state = board_.endpoint("api", label);
    return ClusterEndpoint{address, std::move(label), std::move(state)};
  }

  std::shared_ptr<HealthChecker> start(const config::HealthCheck& check,
                                       const std::vector<ClusterEndpoint>& endpoints) {
    auto checker = std::make_shared<HealthChecker>(io_, "api", check, endpoints);
    checker->start();
    return checker;
  }

  // Stops `checker` and runs the loop until its check loops have ended.
  bool stop(const std::shared_ptr<HealthChecker>& checker) {
    checker->stop();
    return run_until(io_, [&] { return checker->running() == 0; });
  }

  LogCapture log_;
  StateBoard board_;
  asio::io_context io_;
  ScriptedOrigin origin_{io_};
};

TEST(RiseFallCounterTest, FlipsOnlyAfterConsecutiveResults) {
  RiseFallCounter counter(2, 3, true);
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(true));  // the run is broken: counting starts again
  EXPECT_EQ(counter.streak(), 0U);
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(false));
  EXPECT_TRUE(counter.healthy());
  EXPECT_TRUE(counter.record(false));  // the third in a row
  EXPECT_FALSE(counter.healthy());
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(true));
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(true));
  EXPECT_TRUE(counter.record(true));  // two in a row
  EXPECT_TRUE(counter.healthy());
}

TEST(RiseFallCounterTest, ThresholdsOfOne) {
  RiseFallCounter counter(1, 1, false);
  EXPECT_TRUE(counter.record(true));
  EXPECT_TRUE(counter.record(false));
  EXPECT_FALSE(counter.record(false));
}

TEST(NextCheckDelayTest, JitterStaysInBounds) {
  std::minstd_rand random(42);
  EXPECT_EQ(next_check_delay(2000ms, 0ms, random), 2000ms);
  config::Duration low = 1h;
  config::Duration high = 0ms;
  for (int i = 0; i < 10'000; ++i) {
    const config::Duration delay = next_check_delay(2000ms, 200ms, random);
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_GE(low, 2000ms);
  EXPECT_LE(high, 2200ms);
  // Spread over the whole range, not stuck at one end.
  EXPECT_LT(low, 2010ms);
  EXPECT_GT(high, 2190ms);
}

TEST_F(HealthCheckerTest, TcpEndpointGoesDownWhenRefusedOthersStayUp) {
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint()),
                                               endpoint(test::refused_address())};
  auto checker = start(fast_check(false), endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[1].state->healthy(); }));
  EXPECT_TRUE(endpoints[0].state->healthy());
  EXPECT_GE(origin_.connections(), 3U);
  EXPECT_NE(log_.text().find(fmt::format(
                "cluster api: endpoint {} is down (3 failed checks: connection refused)",
                endpoints[1].label)),
            std::string::npos)
      << log_.text();
  EXPECT_EQ(log_.text().find(endpoints[0].label), std::string::npos) << log_.text();
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, TcpEndpointComesBackWhenItListensAgain) {
  config::HealthCheck check = fast_check(false);
  check.fall = 1;
  const asio::ip::tcp::endpoint address = test::refused_address();
  const std::vector<ClusterEndpoint> endpoints{endpoint(address)};
  auto checker = start(check, endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  core::TcpAcceptor listening(io_, address);
  ASSERT_TRUE(run_until(io_, [&] { return endpoints[0].state->healthy(); }));
  EXPECT_NE(log_.text().find(fmt::format("cluster api: endpoint {} is up (2 passed checks)",
                                         endpoints[0].label)),
            std::string::npos)
      << log_.text();
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, HttpStatusOutOfRangeTakesItDownAfterExactlyFall) {
  origin_.respond(std::string(kServiceUnavailable));
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint())};
  auto checker = start(fast_check(true), endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  EXPECT_EQ(origin_.requests().size(), 3U);  // fall: 3, and not one check earlier
  EXPECT_NE(log_.text().find("is down (3 failed checks: status 503)"), std::string::npos)
      << log_.text();

  origin_.respond(std::string(kOk));
  const std::size_t before = origin_.requests().size();
  ASSERT_TRUE(run_until(io_, [&] { return endpoints[0].state->healthy(); }));
  EXPECT_EQ(origin_.requests().size() - before, 2U);  // rise: 2
  EXPECT_NE(log_.text().find(fmt::format("cluster api: endpoint {} is up (2 passed checks)",
                                         endpoints[0].label)),
            std::string::npos)
      << log_.text();
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, BodyMismatchTakesItDown) {
  config::HealthCheck check = fast_check(false);
  check.http = config::HealthCheck::Http{.body = "ready"};
  check.fall = 1;
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint())};
  origin_.respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready");
  auto checker = start(check, endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return origin_.requests().size() >= 3; }));
  EXPECT_TRUE(endpoints[0].state->healthy());
  origin_.respond("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nstarting");
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  EXPECT_NE(log_.text().find("is down (1 failed check: the body does not contain 'ready')"),
            std::string::npos)
      << log_.text();
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, AnEndpointThatNeverAnswersTimesOut) {
  config::HealthCheck check = fast_check(true);
  check.timeout = 100ms;
  check.fall = 2;
  origin_.hang();
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint())};
  const auto started = std::chrono::steady_clock::now();
  auto checker = start(check, endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 2 * 100ms + 20ms);  // two timeouts and an interval
  EXPECT_LT(took, 1s);                // and not much more
  EXPECT_NE(log_.text().find("is down (2 failed checks: timed out after 100ms)"), std::string::npos)
      << log_.text();
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, StopEndsEveryLoopAndClosesEverySocket) {
  const std::size_t descriptors = test::open_descriptors();
  config::HealthCheck check = fast_check(true);
  check.timeout = 10s;
  origin_.hang();
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint()),
                                               endpoint(origin_.endpoint())};
  auto checker = start(check, endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return origin_.requests().size() == 2; }));
  EXPECT_EQ(checker->running(), 2U);
  EXPECT_TRUE(stop(checker));
  // The abandoned checks gave no verdict, and nothing checks any more.
  EXPECT_TRUE(endpoints[0].state->healthy());
  origin_.respond(std::string(kServiceUnavailable));
  io_.restart();
  io_.run_for(100ms);
  EXPECT_EQ(origin_.connections(), 2U);
  origin_.close();
  io_.restart();
  io_.run_for(10ms);
  EXPECT_EQ(test::open_descriptors(), descriptors - 1);  // less the origin's listening socket
}

TEST_F(HealthCheckerTest, JitteredChecksKeepTheirPace) {
  config::HealthCheck check = fast_check(false);
  check.interval = 100ms;
  check.jitter = 100ms;
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint())};
  auto checker = start(check, endpoints);
  io_.run_for(1s);
  // The first check within 0..100ms, then one every 100..200ms: 5 to 10 checks in a second.
  EXPECT_GE(origin_.connections(), 5U);
  EXPECT_LE(origin_.connections(), 11U);
  EXPECT_TRUE(stop(checker));
}

TEST_F(HealthCheckerTest, ANewCheckerTakesOverTheVerdict) {
  origin_.respond(std::string(kServiceUnavailable));
  const std::vector<ClusterEndpoint> endpoints{endpoint(origin_.endpoint())};
  auto first = start(fast_check(true), endpoints);
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  EXPECT_TRUE(stop(first));
  // After a reload, the same endpoint (by cluster and identity) is still down: a failing check
  // does not announce it again, and coming back takes `rise` passes.
  const std::vector<ClusterEndpoint> reloaded{endpoint(origin_.endpoint())};
  ASSERT_EQ(reloaded[0].state, endpoints[0].state);
  auto second = start(fast_check(true), reloaded);
  const std::size_t before = origin_.requests().size();
  ASSERT_TRUE(run_until(io_, [&] { return origin_.requests().size() >= before + 4; }));
  EXPECT_FALSE(reloaded[0].state->healthy());
  origin_.respond(std::string(kOk));
  ASSERT_TRUE(run_until(io_, [&] { return reloaded[0].state->healthy(); }));
  const std::string text = log_.text();
  EXPECT_EQ(text.find("is down"), text.rfind("is down")) << text;
  EXPECT_TRUE(stop(second));
}

TEST_F(HealthCheckerTest, ClustersWithoutACheckAreHealthyAgain) {
  const std::vector<ClusterEndpoint> endpoints{endpoint(test::refused_address())};
  config::Cluster checked;
  checked.name = "api";
  checked.health_check = fast_check(false);
  checked.health_check->fall = 1;
  Cluster cluster{.name = "api", .endpoints = endpoints};
  HealthCheckers checkers(io_);
  checkers.start({checked}, {cluster});
  ASSERT_TRUE(run_until(io_, [&] { return !endpoints[0].state->healthy(); }));
  // The reloaded cluster has no health check: nothing would ever bring the endpoint back.
  config::Cluster unchecked;
  unchecked.name = "api";
  checkers.start({unchecked}, {cluster});
  EXPECT_TRUE(endpoints[0].state->healthy());
  io_.restart();
  io_.run_for(100ms);
  EXPECT_TRUE(endpoints[0].state->healthy());  // the old checker is gone
}

}  // namespace
}  // namespace bulwark::upstream::health
