#include "net/tls/ticket_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using namespace std::chrono_literals;

// A server whose tickets only a ring can open (no session cache), a clock the test moves, and a
// client of the protocol version of the parameter (TLS 1.2 renews a ticket only when told to).
class TicketKeysTest : public ::testing::TestWithParam<int> {
 protected:
  TicketKeysTest() {
    SSL_CTX_set_max_proto_version(client_.get(), GetParam());
    static const testing::Issued& leaf = testing::Pki::shared().issue({.names = {"t.example"}});
    server_ = testing::server_context(leaf);
    SSL_CTX_set_session_cache_mode(server_.get(), SSL_SESS_CACHE_OFF);
    keys_.install(server_.get());
  }

  // Connects a new client, resuming `session` when given; the session the client ends up with.
  SslSessionPtr connect(SSL_SESSION* session, bool& resumed, SSL_CTX* server = nullptr) {
    const SslPtr client = testing::client_ssl(client_.get());
    if (session != nullptr) SSL_set_session(client.get(), session);
    const SslPtr server_ssl(SSL_new(server != nullptr ? server : server_.get()));
    EXPECT_TRUE(testing::handshake(client.get(), server_ssl.get()));
    resumed = SSL_session_reused(client.get()) == 1;
    // A connection freed without a shutdown marks its session not resumable.
    SSL_shutdown(client.get());
    return SslSessionPtr(SSL_get1_session(client.get()));
  }

  bool resumes(SSL_SESSION* session) {
    bool resumed = false;
    connect(session, resumed);
    return resumed;
  }

  std::atomic<std::int64_t> seconds_{0};  // since the epoch, on the ring's clock
  TicketKeys keys_{10min, [this] {
                     return TicketKeys::Clock::time_point{} + std::chrono::seconds{seconds_.load()};
                   }};
  SslCtxPtr server_;
  SslCtxPtr client_ = testing::client_context();
};

TEST_P(TicketKeysTest, ResumesWithinThePeriod) {
  EXPECT_EQ(keys_.rotation(), 10min);
  bool resumed = true;
  const SslSessionPtr session = connect(nullptr, resumed);
  EXPECT_FALSE(resumed);
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(resumes(session.get()));
  seconds_ = 9 * 60L;
  EXPECT_TRUE(resumes(session.get()));
}

TEST_P(TicketKeysTest, PreviousKeyResumesOnePeriodMore) {
  bool resumed = false;
  const SslSessionPtr session = connect(nullptr, resumed);
  seconds_ = 10 * 60L;  // one rotation: the ticket's key is now the previous one
  SslSessionPtr renewed = connect(session.get(), resumed);
  EXPECT_TRUE(resumed);
  seconds_ = 20 * 60L;  // two rotations: the key is gone
  EXPECT_FALSE(resumes(session.get()));
  // The ticket renewed at 10min was sealed with the key that is now the previous one.
  EXPECT_TRUE(resumes(renewed.get()));
}

TEST_P(TicketKeysTest, AfterTwoIdlePeriodsNoOldKeyRemains) {
  bool resumed = false;
  const SslSessionPtr session = connect(nullptr, resumed);
  seconds_ = 25 * 60L;  // nothing rotated in between: both periods passed at once
  EXPECT_FALSE(resumes(session.get()));
}

TEST_P(TicketKeysTest, AnotherRingCannotOpenTheTicket) {
  bool resumed = false;
  const SslSessionPtr session = connect(nullptr, resumed);
  TicketKeys other{10min};
  const SslCtxPtr other_server =
      testing::server_context(testing::Pki::shared().issue({.names = {"t.example"}}));
  SSL_CTX_set_session_cache_mode(other_server.get(), SSL_SESS_CACHE_OFF);
  other.install(other_server.get());
  connect(session.get(), resumed, other_server.get());
  EXPECT_FALSE(resumed);
}

// Workers seal and open tickets while the ring rotates under them (AddressSanitizer watches).
TEST_P(TicketKeysTest, ConcurrentHandshakesDuringRotation) {
  bool resumed = false;
  const SslSessionPtr session = connect(nullptr, resumed);
  std::atomic<int> resumptions{0};
  std::vector<std::thread> workers;
  workers.reserve(4);
  for (int worker = 0; worker < 4; ++worker) {
    workers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (resumes(session.get())) ++resumptions;
        seconds_ += 10;
      }
    });
  }
  for (std::thread& worker : workers)
    worker.join();
  // 80 steps of 10 s cross one rotation (at 10 min) but not two.
  EXPECT_EQ(resumptions.load(), 80);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketKeysTest,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == TLS1_2_VERSION ? "Tls12" : "Tls13";
                         });

}  // namespace
}  // namespace bulwark::net::tls
