// net::Transport over real loopback TCP: handshakes, gathered writes, writes that must wait for a
// full socket buffer, reads of records that arrive in pieces, close_notify, and a TLS connection
// moving from one event loop to another (an idle upstream connection stolen by a worker).

#include "net/tls/transport.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../../run_until.h"
#include "test_pki.h"

namespace bulwark::net {
namespace {

using namespace std::chrono_literals;
namespace testing_pki = tls::testing;

using bulwark::testing::run_until;

// Runs `task` on `io` to its end and returns its result.
template <class T>
std::optional<T> finish(asio::io_context& io, core::Task<T> task) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(task),
                 [&](const std::exception_ptr&, T value) { result = std::move(value); });
  const auto done = [&] { return result.has_value(); };
  EXPECT_TRUE(run_until(io, done, 5s));
  return result;
}

// Both ways TLS meets the socket: bulwark's own BIO (the default) and OpenSSL's socket BIO
// (kernel_offload, for kernel TLS; this machine's kernel only exercises its waiting).
class TransportTest : public ::testing::TestWithParam<bool> {
 protected:
  TransportTest() {
    const testing_pki::Issued& leaf =
        testing_pki::Pki::shared().issue({.names = {"transport.test"}});
    server_context_ = testing_pki::server_context(leaf);
    client_context_ = testing_pki::client_context();
  }

  // A connected pair of plain transports on `io_`.
  void connect() {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::address_v4::loopback(), 0});
    core::TcpSocket client_socket(io_.get_executor());
    client_socket.connect(acceptor.local_endpoint());
    core::TcpSocket server_socket(io_.get_executor());
    acceptor.accept(server_socket);
    client_socket.non_blocking(true);
    server_socket.non_blocking(true);
    client_ = std::make_unique<Transport>(std::move(client_socket));
    server_ = std::make_unique<Transport>(std::move(server_socket));
  }

  // Both ends through the TLS handshake; returns whether both succeeded.
  bool secure(SSL_CTX* client_context = nullptr) {
    connect();
    tls::SslPtr server_ssl(SSL_new(server_context_.get()));
    SSL_set_accept_state(server_ssl.get());
    tls::SslPtr client_ssl = testing_pki::client_ssl(
        client_context != nullptr ? client_context : client_context_.get(), "transport.test");
    SSL_set_connect_state(client_ssl.get());
    server_->start_tls(std::move(server_ssl), GetParam());
    client_->start_tls(std::move(client_ssl), GetParam());
    std::optional<std::error_code> server_result;
    std::optional<std::error_code> client_result;
    asio::co_spawn(io_, server_->handshake(),
                   [&](const std::exception_ptr&, std::error_code ec) { server_result = ec; });
    asio::co_spawn(io_, client_->handshake(),
                   [&](const std::exception_ptr&, std::error_code ec) { client_result = ec; });
    EXPECT_TRUE(run_until(io_, [&] { return server_result && client_result; }));
    client_error_ = client_result.value_or(std::make_error_code(std::errc::timed_out));
    return server_result && !*server_result && client_result && !*client_result;
  }

  // Reads from `reader` until `size` bytes arrived (or an error); returns them.
  std::string read_exactly(Transport& reader, std::size_t size) {
    return finish(io_,
                  [](Transport& from, std::size_t want) -> core::Task<std::string> {
                    std::string got;
                    std::vector<char> buffer(std::size_t{64} * 1024);
                    while (got.size() < want) {
                      auto [ec, n] = co_await from.read_some(asio::buffer(buffer));
                      if (ec) break;
                      got.append(buffer.data(), n);
                    }
                    co_return got;
                  }(reader, size))
        .value_or("");
  }

  asio::io_context io_;
  tls::SslCtxPtr server_context_;
  tls::SslCtxPtr client_context_;
  std::unique_ptr<Transport> client_;
  std::unique_ptr<Transport> server_;
  std::error_code client_error_;
};

TEST_P(TransportTest, PlainTransportReadsAndWritesTheSocketAsItIs) {
  connect();
  EXPECT_FALSE(client_->secure());
  const std::string hello = "hello";
  auto written = finish(io_, client_->write(asio::buffer(hello)));
  ASSERT_TRUE(written);
  EXPECT_FALSE(std::get<0>(*written));
  EXPECT_EQ(read_exactly(*server_, 5), "hello");
  std::array<char, 8> buffer{};
  EXPECT_EQ(std::get<0>(server_->try_read(asio::buffer(buffer))), asio::error::would_block);
}

TEST_P(TransportTest, HandshakeThenGatheredPiecesArriveInOrder) {
  ASSERT_TRUE(secure());
  EXPECT_TRUE(client_->secure());
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const std::string body = "hello";
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(head), asio::buffer(body),
                                                 asio::buffer(body)};
  auto written = finish(io_, server_->write(pieces));
  ASSERT_TRUE(written);
  EXPECT_FALSE(std::get<0>(*written));
  EXPECT_EQ(std::get<1>(*written), head.size() + 2 * body.size());
  EXPECT_EQ(read_exactly(*client_, head.size() + 10), head + body + body);
}

TEST_P(TransportTest, LargeWriteWaitsForTheReaderAndLosesNothing) {
  ASSERT_TRUE(secure());
  // Several MiB: far more than the socket buffers hold, so the writer meets SSL_ERROR_WANT_WRITE
  // and waits; small and large pieces mix so that records are gathered and written straight.
  std::string big((std::size_t{3} << 20) + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  const std::string prefix = "chunk-header\r\n";
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(prefix), asio::buffer(big),
                                                 asio::buffer(prefix)};
  std::optional<IoResult> written;
  asio::co_spawn(io_, server_->write(pieces),
                 [&](const std::exception_ptr&, IoResult result) { written = result; });
  const std::string received = read_exactly(*client_, prefix.size() * 2 + big.size());
  ASSERT_TRUE(run_until(io_, [&] { return written.has_value(); }));
  EXPECT_FALSE(std::get<0>(*written));
  EXPECT_EQ(received, prefix + big + prefix);
}

TEST_P(TransportTest, RecordArrivingInPiecesIsReadWhole) {
  ASSERT_TRUE(secure());
  // The client writes one record; the server's read gets the whole plaintext even though it was
  // waiting (WANT_READ) before the bytes came.
  std::optional<std::string> got;
  asio::co_spawn(
      io_,
      [](Transport& reader) -> core::Task<std::string> {
        std::array<char, 64> buffer{};
        auto [ec, n] = co_await reader.read_some(asio::buffer(buffer));
        co_return ec ? std::string("error") : std::string(buffer.data(), n);
      }(*server_),
      [&](const std::exception_ptr&, std::string text) { got = std::move(text); });
  io_.restart();
  io_.run_for(20ms);
  EXPECT_FALSE(got.has_value());
  const std::string ping = "ping";
  finish(io_, client_->write(asio::buffer(ping)));
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(*got, "ping");
}

TEST_P(TransportTest, TryReadSeesNothingThenTheDecryptedBytes) {
  ASSERT_TRUE(secure());
  std::array<char, 64> buffer{};
  EXPECT_EQ(std::get<0>(server_->try_read(asio::buffer(buffer))), asio::error::would_block);
  const std::string ping = "ping";
  finish(io_, client_->write(asio::buffer(ping)));
  ASSERT_TRUE(run_until(io_, [&] {
    asio::error_code ec;
    return server_->socket().available(ec) > 0;
  }));
  auto [ec, n] = server_->try_read(asio::buffer(buffer));
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(buffer.data(), n), "ping");
}

TEST_P(TransportTest, CloseNotifyReadsAsEndOfStream) {
  ASSERT_TRUE(secure());
  client_->notify_close();
  std::array<char, 16> buffer{};
  auto result = finish(io_, server_->read_some(asio::buffer(buffer)));
  ASSERT_TRUE(result);
  EXPECT_EQ(std::get<0>(*result), asio::error::eof);
}

TEST_P(TransportTest, PeerVanishingWithoutCloseNotifyReadsAsEndOfStream) {
  ASSERT_TRUE(secure());
  client_->socket().close();
  std::array<char, 16> buffer{};
  auto result = finish(io_, server_->read_some(asio::buffer(buffer)));
  ASSERT_TRUE(result);
  EXPECT_TRUE(std::get<0>(*result));
}

TEST_P(TransportTest, UntrustedCertificateFailsTheHandshake) {
  tls::SslCtxPtr trusting_nobody(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(trusting_nobody.get(), SSL_VERIFY_PEER, nullptr);
  EXPECT_FALSE(secure(trusting_nobody.get()));
  EXPECT_EQ(client_error_, std::errc::protocol_error);
}

TEST_P(TransportTest, TlsConnectionMovesToAnotherLoop) {
  ASSERT_TRUE(secure());
  tls::SslPtr ssl;
  const int descriptor = client_->release(ssl);
  ASSERT_GE(descriptor, 0);
  ASSERT_NE(ssl, nullptr);
  EXPECT_FALSE(client_->secure());

  asio::io_context other;
  Transport moved(other.get_executor());
  ASSERT_FALSE(moved.adopt(asio::ip::tcp::v4(), descriptor, std::move(ssl)));
  EXPECT_TRUE(moved.secure());
  const std::string ping = "after the move";
  auto written = finish(other, moved.write(asio::buffer(ping)));
  ASSERT_TRUE(written);
  EXPECT_FALSE(std::get<0>(*written));
  EXPECT_EQ(read_exactly(*server_, ping.size()), ping);
}

INSTANTIATE_TEST_SUITE_P(Bios, TransportTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "SocketBio" : "OwnBio";
                         });

}  // namespace
}  // namespace bulwark::net
