// TLS to backends: in-memory handshakes of ClientContext's SSLs against servers built here, for
// certificate and name verification (DNS names and IP literals), SNI, the client certificate,
// ALPN and session reuse per endpoint.

#include "net/tls/client_context.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "crafted_certificate.h"
#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using testing::Issued;
using testing::Pki;

// The protocols the client offered, as a server's ALPN callback saw them (wire format).
int select_h2_or_http11(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_size,
                        const unsigned char* offered, unsigned int offered_size, void* seen) {
  static_cast<std::string*>(seen)->assign(reinterpret_cast<const char*>(offered), offered_size);
  static constexpr unsigned char kServerOrder[] = {2,   'h', '2', 8,   'h', 't',
                                                   't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, kServerOrder, sizeof kServerOrder, offered,
                            offered_size) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

class ClientContextTest : public ::testing::Test {
 protected:
  struct Connection {
    bool ok = false;
    std::string failure;  // ClientContext::verify_failure
    SslPtr client;
    SslPtr server;
  };

  ClientContextTest() { server_ = server_context(pki_.issue({.names = {"backend.example"}})); }

  SslCtxPtr server_context(const Issued& cert) {
    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(context.get(), cert.chain.c_str()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(context.get(), cert.key.c_str(), SSL_FILETYPE_PEM), 1);
    SSL_CTX_set_alpn_select_cb(context.get(), select_h2_or_http11, &offered_alpn_);
    return context;
  }

  // A server presenting a certificate with these SANs, issued by the PKI's intermediate.
  SslCtxPtr crafted_server(const testing::CraftOptions& options) {
    const Issued& ca = pki_.intermediate();
    const testing::Crafted cert = testing::craft_certificate(ca.x509.get(), ca.pkey.get(), options);
    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    EXPECT_EQ(SSL_CTX_use_certificate(context.get(), cert.x509.get()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(context.get(), cert.pkey.get()), 1);
    EXPECT_EQ(SSL_CTX_add1_chain_cert(context.get(), ca.x509.get()), 1);
    return context;
  }

  config::UpstreamTls upstream() const {
    config::UpstreamTls tls;
    tls.ca = pki_.root().cert;
    return tls;
  }

  static std::shared_ptr<const ClientContext> build(const config::UpstreamTls& tls,
                                                    AlpnOffer alpn = AlpnOffer::kHttp11) {
    std::string error;
    auto context = ClientContext::build(tls, alpn, error);
    EXPECT_TRUE(context) << error;
    return context;
  }

  static Connection connect(const ClientContext& context, std::string_view name, SSL_CTX* server,
                            std::string_view endpoint = "10.0.0.1:443") {
    Connection connection{.client = context.new_ssl(name, endpoint),
                          .server = SslPtr(SSL_new(server))};
    if (!connection.client) {
      ADD_FAILURE() << "new_ssl refused " << name;
      return connection;
    }
    connection.ok = testing::handshake(connection.client.get(), connection.server.get());
    connection.failure = ClientContext::verify_failure(connection.client.get());
    return connection;
  }

  Pki& pki_ = Pki::shared();
  std::string offered_alpn_;
  SslCtxPtr server_;
};

std::string raw_address(int family, const char* text) {
  std::array<unsigned char, 16> address{};
  EXPECT_EQ(inet_pton(family, text, address.data()), 1);
  return {reinterpret_cast<const char*>(address.data()), family == AF_INET ? 4U : 16U};
}

TEST_F(ClientContextTest, RightCaAndNamePass) {
  const auto context = build(upstream());
  const Connection connection = connect(*context, "backend.example", server_.get());
  EXPECT_TRUE(connection.ok);
  EXPECT_EQ(connection.failure, "");
  EXPECT_EQ(SSL_get_verify_result(connection.client.get()), X509_V_OK);
}

TEST_F(ClientContextTest, HandshakeFailureSaysWhy) {
  const auto context = build(upstream());
  const Connection mismatch = connect(*context, "other.example", server_.get());
  EXPECT_EQ(ClientContext::handshake_failure(mismatch.client.get(),
                                             std::make_error_code(std::errc::protocol_error)),
            "certificate verify failed: hostname mismatch (expected other.example)");

  const SslPtr ssl = context->new_ssl("backend.example", "10.0.0.1:443");
  const std::error_code protocol = std::make_error_code(std::errc::protocol_error);
  ERR_clear_error();
  EXPECT_EQ(ClientContext::handshake_failure(ssl.get(), protocol), "the handshake failed");
  ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
  const std::string failure = ClientContext::handshake_failure(ssl.get(), protocol);
  EXPECT_NE(failure.find("unsupported protocol"), std::string::npos) << failure;
  EXPECT_EQ(ERR_peek_error(), 0U);  // the queue is emptied
  const std::error_code reset = std::make_error_code(std::errc::connection_reset);
  EXPECT_EQ(ClientContext::handshake_failure(ssl.get(), reset), reset.message());
}

TEST_F(ClientContextTest, WrongNameFails) {
  const auto context = build(upstream());
  const Connection connection = connect(*context, "other.example", server_.get());
  EXPECT_FALSE(connection.ok);
  EXPECT_EQ(connection.failure,
            "certificate verify failed: hostname mismatch (expected other.example)");
}

TEST_F(ClientContextTest, PartialWildcardsDoNotMatch) {
  const auto context = build(upstream());
  const SslCtxPtr server = server_context(pki_.issue({.names = {"back*.example"}}));
  EXPECT_FALSE(connect(*context, "backend.example", server.get()).ok);
}

TEST_F(ClientContextTest, UnknownCaFails) {
  Pki other;
  config::UpstreamTls tls = upstream();
  tls.ca = other.root().cert;
  const Connection connection = connect(*build(tls), "backend.example", server_.get());
  EXPECT_FALSE(connection.ok);
  EXPECT_EQ(connection.failure,
            "certificate verify failed: unable to get local issuer certificate");
}

TEST_F(ClientContextTest, WithoutCaTheSystemsCasAreTrusted) {
  config::UpstreamTls tls = upstream();
  tls.ca.clear();  // the test PKI's root is not among the system's
  const Connection connection = connect(*build(tls), "backend.example", server_.get());
  EXPECT_FALSE(connection.ok);
  EXPECT_EQ(connection.failure,
            "certificate verify failed: unable to get local issuer certificate");
}

TEST_F(ClientContextTest, VerifyOffAcceptsAnyCertificate) {
  Pki other;
  const SslCtxPtr server =
      server_context(other.issue({.names = {"somewhere.example"}, .ca = &other.root()}));
  config::UpstreamTls tls = upstream();
  tls.verify = false;
  EXPECT_TRUE(connect(*build(tls), "backend.example", server.get()).ok);
}

TEST_F(ClientContextTest, DnsNameIsSentAsSni) {
  const Connection connection = connect(*build(upstream()), "backend.example", server_.get());
  ASSERT_TRUE(connection.ok);
  const char* sni = SSL_get_servername(connection.server.get(), TLSEXT_NAMETYPE_host_name);
  ASSERT_NE(sni, nullptr);
  EXPECT_STREQ(sni, "backend.example");
}

TEST_F(ClientContextTest, IpLiteralIsCheckedAsAnAddressAndNotSentAsSni) {
  const SslCtxPtr server = crafted_server(
      {.subject = {{"CN", "backend.example"}},
       .sans = {{GEN_DNS, "backend.example"}, {GEN_IPADD, raw_address(AF_INET, "127.0.0.1")}}});
  const auto context = build(upstream());

  const Connection right = connect(*context, "127.0.0.1", server.get());
  EXPECT_TRUE(right.ok) << right.failure;
  EXPECT_EQ(SSL_get_servername(right.server.get(), TLSEXT_NAMETYPE_host_name), nullptr);

  const Connection wrong = connect(*context, "127.0.0.2", server.get());
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.failure, "certificate verify failed: IP address mismatch (expected 127.0.0.2)");
}

TEST_F(ClientContextTest, IpLiteralDoesNotMatchADnsNameSpellingIt) {
  const SslCtxPtr server = server_context(pki_.issue({.names = {"127.0.0.1"}}));
  const Connection connection = connect(*build(upstream()), "127.0.0.1", server.get());
  EXPECT_FALSE(connection.ok);
  EXPECT_EQ(connection.failure,
            "certificate verify failed: IP address mismatch (expected 127.0.0.1)");
}

TEST_F(ClientContextTest, BracketedIpv6Literal) {
  const SslCtxPtr server = crafted_server(
      {.subject = {{"CN", "v6"}}, .sans = {{GEN_IPADD, raw_address(AF_INET6, "::1")}}});
  const auto context = build(upstream());
  EXPECT_TRUE(connect(*context, "[::1]", server.get(), "[::1]:443").ok);
  EXPECT_TRUE(connect(*context, "::1", server.get(), "[::1]:443").ok);
  EXPECT_FALSE(connect(*context, "[::2]", server.get(), "[::1]:443").ok);
}

TEST_F(ClientContextTest, NameWithNulIsRefused) {
  const auto context = build(upstream());
  EXPECT_FALSE(context->new_ssl(std::string_view("backend.example\0.evil", 21), "10.0.0.1:443"));
}

TEST_F(ClientContextTest, ClientCertificateIsPresented) {
  const Issued& client = pki_.issue({.names = {"proxy.example"}, .client = true});
  SSL_CTX_load_verify_locations(server_.get(), pki_.root().cert.c_str(), nullptr);
  SSL_CTX_set_verify(server_.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);

  config::UpstreamTls tls = upstream();
  EXPECT_FALSE(connect(*build(tls), "backend.example", server_.get()).ok);  // none: refused

  tls.cert = client.chain;
  tls.key = client.key;
  const Connection connection = connect(*build(tls), "backend.example", server_.get());
  ASSERT_TRUE(connection.ok);
  X509* seen = SSL_get0_peer_certificate(connection.server.get());
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(X509_cmp(seen, client.x509.get()), 0);
  EXPECT_EQ(SSL_get_verify_result(connection.server.get()), X509_V_OK);
}

TEST_F(ClientContextTest, OffersHttp11ByAlpn) {
  const Connection connection = connect(*build(upstream()), "backend.example", server_.get());
  ASSERT_TRUE(connection.ok);
  EXPECT_EQ(offered_alpn_, std::string("\x08http/1.1"));
  const unsigned char* selected = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(connection.client.get(), &selected, &size);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(selected), size), "http/1.1");
  EXPECT_FALSE(ClientContext::negotiated_h2(connection.client.get()));
}

TEST_F(ClientContextTest, OffersH2FirstForProtocolAuto) {
  const Connection connection =
      connect(*build(upstream(), AlpnOffer::kH2OrHttp11), "backend.example", server_.get());
  ASSERT_TRUE(connection.ok);
  EXPECT_EQ(offered_alpn_, std::string("\x02h2\x08http/1.1"));
  EXPECT_TRUE(ClientContext::negotiated_h2(connection.client.get()));
}

TEST_F(ClientContextTest, OffersOnlyH2ForProtocolH2) {
  const Connection connection =
      connect(*build(upstream(), AlpnOffer::kH2), "backend.example", server_.get());
  ASSERT_TRUE(connection.ok);
  EXPECT_EQ(offered_alpn_, std::string("\x02h2"));
  EXPECT_TRUE(ClientContext::negotiated_h2(connection.client.get()));
}

TEST_F(ClientContextTest, BadFilesAreReportedByName) {
  std::string error;
  config::UpstreamTls tls = upstream();
  tls.ca = pki_.path("missing-ca.pem");
  EXPECT_FALSE(ClientContext::build(tls, AlpnOffer::kHttp11, error));
  EXPECT_TRUE(error.starts_with(tls.ca + ": ")) << error;

  tls = upstream();
  tls.cert = pki_.path("missing-cert.pem");
  tls.key = pki_.path("missing-key.pem");
  error.clear();
  EXPECT_FALSE(ClientContext::build(tls, AlpnOffer::kHttp11, error));
  EXPECT_TRUE(error.starts_with(tls.cert + ": ")) << error;

  tls = upstream();
  tls.policy.profile = "no-such-profile";
  error.clear();
  EXPECT_FALSE(ClientContext::build(tls, AlpnOffer::kHttp11, error));
  EXPECT_FALSE(error.empty());
}

TEST_F(ClientContextTest, KeepsTheConfiguredServerName) {
  config::UpstreamTls tls = upstream();
  EXPECT_EQ(build(tls)->server_name(), "");
  tls.server_name = "backend.example";
  EXPECT_EQ(build(tls)->server_name(), "backend.example");
}

// Session reuse, with TLS 1.3 (tickets after the handshake) and TLS 1.2 (sessions during it).
class ClientContextSessionTest : public ClientContextTest,
                                 public ::testing::WithParamInterface<int> {
 protected:
  ClientContextSessionTest() { SSL_CTX_set_max_proto_version(server_.get(), GetParam()); }

  SslCtxPtr another_server() {
    SslCtxPtr server = server_context(pki_.issue({.names = {"backend.example"}}));
    SSL_CTX_set_max_proto_version(server.get(), GetParam());
    return server;
  }

  bool resumed(const ClientContext& context, SSL_CTX* server, std::string_view endpoint,
               std::string_view name = "backend.example") {
    const Connection connection = connect(context, name, server, endpoint);
    EXPECT_TRUE(connection.ok) << connection.failure;
    EXPECT_EQ(SSL_version(connection.client.get()), GetParam());
    return SSL_session_reused(connection.client.get()) == 1;
  }
};

TEST_P(ClientContextSessionTest, ResumesPerEndpointAndName) {
  const auto context = build(upstream());
  EXPECT_FALSE(resumed(*context, server_.get(), "10.0.0.1:443"));
  EXPECT_TRUE(resumed(*context, server_.get(), "10.0.0.1:443"));
  EXPECT_TRUE(resumed(*context, server_.get(), "10.0.0.1:443"));
  EXPECT_FALSE(resumed(*context, server_.get(), "10.0.0.2:443"));
  // Verified for backend.example: not resumed to check another name.
  const SslCtxPtr wildcard = server_context(pki_.issue({.names = {"*.backends.example"}}));
  SSL_CTX_set_max_proto_version(wildcard.get(), GetParam());
  EXPECT_FALSE(resumed(*context, wildcard.get(), "10.0.0.3:443", "a.backends.example"));
  EXPECT_FALSE(resumed(*context, wildcard.get(), "10.0.0.3:443", "b.backends.example"));
  EXPECT_TRUE(resumed(*context, wildcard.get(), "10.0.0.3:443", "a.backends.example"));
}

TEST_P(ClientContextSessionTest, SessionsAreNotSharedBetweenContexts) {
  const auto first = build(upstream());
  const auto second = build(upstream());
  EXPECT_FALSE(resumed(*first, server_.get(), "10.0.0.1:443"));
  EXPECT_FALSE(resumed(*second, server_.get(), "10.0.0.1:443"));
}

TEST_P(ClientContextSessionTest, ReuseOff) {
  config::UpstreamTls tls = upstream();
  tls.session_reuse = false;
  const auto context = build(tls);
  EXPECT_FALSE(resumed(*context, server_.get(), "10.0.0.1:443"));
  EXPECT_FALSE(resumed(*context, server_.get(), "10.0.0.1:443"));
}

TEST_P(ClientContextSessionTest, SessionThatFailedToResumeIsReplaced) {
  const auto context = build(upstream());
  const SslCtxPtr restarted = another_server();  // other ticket keys and session cache
  EXPECT_FALSE(resumed(*context, server_.get(), "10.0.0.1:443"));
  EXPECT_FALSE(resumed(*context, restarted.get(), "10.0.0.1:443"));
  EXPECT_TRUE(resumed(*context, restarted.get(), "10.0.0.1:443"));
}

TEST_P(ClientContextSessionTest, ConcurrentConnections) {
  const auto context = build(upstream());
  std::vector<std::thread> workers;
  std::array<int, 4> reused{};
  workers.reserve(reused.size());
  for (std::size_t worker = 0; worker < reused.size(); ++worker) {
    workers.emplace_back([&, worker] {
      for (int i = 0; i < 10; ++i) {
        const Connection connection =
            connect(*context, "backend.example", server_.get(), "10.0.0." + std::to_string(i % 3));
        reused[worker] += connection.ok && SSL_session_reused(connection.client.get()) == 1;
      }
    });
  }
  for (std::thread& worker : workers)
    worker.join();
  int total = 0;
  for (const int count : reused)
    total += count;
  EXPECT_GE(total, 4 * 10 - 4 * 3);  // at most each worker's first look at each endpoint misses
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientContextSessionTest,
                         ::testing::Values(TLS1_3_VERSION, TLS1_2_VERSION),
                         [](const ::testing::TestParamInfo<int>& version) {
                           return version.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
                         });

// TLS 1.3 only: a TLS 1.2 server always hands out a session id to remember instead.
TEST_F(ClientContextTest, SessionDeclinedAndNotReplacedIsForgotten) {
  const auto context = build(upstream());
  const SslCtxPtr no_resumption = server_context(pki_.issue({.names = {"backend.example"}}));
  SSL_CTX_set_num_tickets(no_resumption.get(), 0);
  SSL_CTX_set_session_cache_mode(no_resumption.get(), SSL_SESS_CACHE_OFF);

  ASSERT_TRUE(connect(*context, "backend.example", server_.get()).ok);
  const SslPtr offering = context->new_ssl("backend.example", "10.0.0.1:443");
  EXPECT_NE(SSL_get_session(offering.get()), nullptr);

  const Connection declined = connect(*context, "backend.example", no_resumption.get());
  ASSERT_TRUE(declined.ok);
  EXPECT_EQ(SSL_session_reused(declined.client.get()), 0);
  const SslPtr next = context->new_ssl("backend.example", "10.0.0.1:443");
  EXPECT_EQ(SSL_get_session(next.get()), nullptr);
}

}  // namespace
}  // namespace bulwark::net::tls
