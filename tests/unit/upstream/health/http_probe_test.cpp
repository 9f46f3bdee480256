// The HTTP and TCP checks against real loopback origins: statuses, bodies, framing, failures.

#include "upstream/health/http_probe.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <optional>
#include <string>

#include "../loopback.h"
#include "scripted_origin.h"
#include "upstream/health/tcp_probe.h"

namespace bulwark::upstream::health {
namespace {

using pooltest::run_until;
using test::ScriptedOrigin;

config::HealthCheck::Http http_spec(std::optional<std::string> body = std::nullopt) {
  config::HealthCheck::Http spec;
  spec.path = "/healthz";
  spec.body = std::move(body);
  return spec;
}

class HttpProbeTest : public ::testing::Test {
 protected:
  // Runs one check to its end.
  ProbeResult finish(core::Task<ProbeResult> task) {
    std::optional<ProbeResult> result;
    asio::co_spawn(io_, std::move(task),
                   [&](const std::exception_ptr&, ProbeResult r) { result = std::move(r); });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    transport_.socket().close();
    return result.value_or(ProbeResult::fail("no result"));
  }

  ProbeResult check(const HttpProbe& probe, const asio::ip::tcp::endpoint& address) {
    return finish(probe.run(transport_, address));
  }

  ProbeResult check(const config::HealthCheck::Http& spec, const std::string& response) {
    origin_.respond(response);
    return check(HttpProbe(spec, "127.0.0.1:1"), origin_.endpoint());
  }

  asio::io_context io_;
  net::Transport transport_{io_.get_executor()};
  ScriptedOrigin origin_{io_};
};

TEST_F(HttpProbeTest, RequestNamesTheEndpointAsHostByDefault) {
  EXPECT_EQ(HttpProbe(http_spec(), "10.0.0.1:8080").request(),
            "GET /healthz HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nUser-Agent: bulwark-health\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n");
  config::HealthCheck::Http spec = http_spec();
  spec.method = "HEAD";
  spec.host = "api.example.com";
  EXPECT_EQ(HttpProbe(spec, "10.0.0.1:8080").request(),
            "HEAD /healthz HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bulwark-health\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST_F(HttpProbeTest, StatusRanges) {
  const std::vector<config::StatusRange> ranges{{200, 299}, {304, 304}};
  EXPECT_TRUE(status_expected(ranges, 200));
  EXPECT_TRUE(status_expected(ranges, 299));
  EXPECT_TRUE(status_expected(ranges, 304));
  EXPECT_FALSE(status_expected(ranges, 199));
  EXPECT_FALSE(status_expected(ranges, 300));
  EXPECT_FALSE(status_expected(ranges, 503));
}

TEST_F(HttpProbeTest, ExpectedStatusPassesAndTheRequestArrives) {
  const ProbeResult result = check(http_spec(), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_TRUE(result.passed) << result.detail;
  ASSERT_EQ(origin_.requests().size(), 1U);
  EXPECT_EQ(origin_.requests()[0], HttpProbe(http_spec(), "127.0.0.1:1").request());
}

TEST_F(HttpProbeTest, StatusOutOfRangeFails) {
  const ProbeResult result =
      check(http_spec(), "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.detail, "status 503");
  config::HealthCheck::Http spec = http_spec();
  spec.expect_status = {{503, 503}};
  EXPECT_TRUE(check(spec, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").passed);
}

TEST_F(HttpProbeTest, InterimResponseIsSkipped) {
  const ProbeResult result = check(
      http_spec(), "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(result.detail, "status 500");
}

TEST_F(HttpProbeTest, BodyMatchWithContentLength) {
  EXPECT_TRUE(
      check(http_spec("ok"), "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nstatus ok").passed);
  const ProbeResult result =
      check(http_spec("ok"), "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nstarting");
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.detail, "the body does not contain 'ok'");
}

TEST_F(HttpProbeTest, BodyMatchAcrossChunks) {
  EXPECT_TRUE(check(http_spec("ready"),
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nrea\r\n2\r\ndy\r\n0\r\n\r\n")
                  .passed);
  EXPECT_EQ(check(http_spec("ready"),
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nrea\r\n0\r\n\r\n")
                .detail,
            "the body does not contain 'ready'");
}

TEST_F(HttpProbeTest, BodyMatchUntilClose) {
  EXPECT_TRUE(check(http_spec("up"), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall up").passed);
  EXPECT_FALSE(check(http_spec("up"), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\ndown").passed);
}

TEST_F(HttpProbeTest, BodyMatchLooksOnlyAtTheFirst64KiB) {
  const std::string filler(HttpProbe::kBodyWindow - 1, 'x');
  EXPECT_TRUE(
      check(http_spec("ok"), fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}ok",
                                         filler.size() + 1, filler.substr(1)))
          .passed);
  const ProbeResult late = check(
      http_spec("ok"),
      fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}ok", filler.size() + 2, filler));
  EXPECT_EQ(late.detail, "the body does not contain 'ok'");
}

TEST_F(HttpProbeTest, EmptyBodyFailsABodyMatch) {
  EXPECT_FALSE(check(http_spec("ok"), "HTTP/1.1 204 No Content\r\n\r\n").passed);
  EXPECT_FALSE(check(http_spec("ok"), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").passed);
}

TEST_F(HttpProbeTest, BrokenResponsesFail) {
  EXPECT_EQ(check(http_spec(), "").detail, "closed before a response");
  const ProbeResult garbage = check(http_spec(), "SSH-2.0-OpenSSH_9.2\r\n\r\n");
  EXPECT_FALSE(garbage.passed);
  EXPECT_TRUE(garbage.detail.starts_with("invalid response: ")) << garbage.detail;
  EXPECT_EQ(check(http_spec("ok"), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nnot o").detail,
            "closed in the middle of the body");
}

TEST_F(HttpProbeTest, RefusedConnectionFails) {
  const ProbeResult result = check(HttpProbe(http_spec(), "x"), test::refused_address());
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.detail, "connection refused");
}

TEST_F(HttpProbeTest, TcpProbeConnects) {
  EXPECT_TRUE(finish(probe_tcp(transport_.socket(), origin_.endpoint())).passed);
  const ProbeResult down = finish(probe_tcp(transport_.socket(), test::refused_address()));
  EXPECT_FALSE(down.passed);
  EXPECT_EQ(down.detail, "connection refused");
}

}  // namespace
}  // namespace bulwark::upstream::health
