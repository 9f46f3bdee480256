#include "net/tls/tls_policy.h"

#include <gtest/gtest.h>

#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using testing::Pki;

// A server context for an ECDSA leaf under `policy`; the test fails when the policy is refused.
SslCtxPtr server_under(const config::TlsPolicy& policy) {
  static const testing::Issued& leaf = Pki::shared().issue({.names = {"policy.example"}});
  SslCtxPtr context = testing::server_context(leaf);
  std::string error;
  EXPECT_TRUE(apply_policy(context.get(), policy, error)) << error;
  return context;
}

std::string refusal(const config::TlsPolicy& policy) {
  const SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  std::string error;
  EXPECT_FALSE(apply_policy(context.get(), policy, error));
  return error;
}

// The version a client limited to [min, max] negotiates with `server`; 0 when it fails.
int negotiated(SSL_CTX* server, int min_version, int max_version) {
  const SslCtxPtr client = testing::client_context();
  SSL_CTX_set_min_proto_version(client.get(), min_version);
  SSL_CTX_set_max_proto_version(client.get(), max_version);
  const SslPtr client_ssl = testing::client_ssl(client.get());
  const SslPtr server_ssl(SSL_new(server));
  if (!testing::handshake(client_ssl.get(), server_ssl.get())) return 0;
  return SSL_version(server_ssl.get());
}

TEST(TlsPolicyTest, KnownProfiles) {
  EXPECT_TRUE(is_known_profile("modern"));
  EXPECT_TRUE(is_known_profile("intermediate"));
  EXPECT_FALSE(is_known_profile("old"));
  EXPECT_EQ(refusal({.profile = "old"}), "unknown TLS profile \"old\" (modern, intermediate)");
}

TEST(TlsPolicyTest, ModernIsTls13Only) {
  const SslCtxPtr server = server_under({.profile = "modern"});
  EXPECT_EQ(negotiated(server.get(), TLS1_2_VERSION, TLS1_2_VERSION), 0);
  EXPECT_EQ(negotiated(server.get(), TLS1_2_VERSION, TLS1_3_VERSION), TLS1_3_VERSION);
}

TEST(TlsPolicyTest, IntermediateTakesTls12WithForwardSecrecy) {
  const SslCtxPtr server = server_under({.profile = "intermediate"});
  EXPECT_EQ(negotiated(server.get(), TLS1_2_VERSION, TLS1_3_VERSION), TLS1_3_VERSION);
  EXPECT_EQ(negotiated(server.get(), TLS1_2_VERSION, TLS1_2_VERSION), TLS1_2_VERSION);
  // A client that only offers a static-RSA suite finds none in common.
  const SslCtxPtr client = testing::client_context();
  SSL_CTX_set_max_proto_version(client.get(), TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_cipher_list(client.get(), "AES128-GCM-SHA256"), 1);
  const SslPtr client_ssl = testing::client_ssl(client.get());
  const SslPtr server_ssl(SSL_new(server.get()));
  EXPECT_FALSE(testing::handshake(client_ssl.get(), server_ssl.get()));
}

TEST(TlsPolicyTest, ProtocolsOverrideTheProfile) {
  const SslCtxPtr tls12 = server_under({.profile = "modern", .protocols = {"TLSv1.2"}});
  EXPECT_EQ(negotiated(tls12.get(), TLS1_2_VERSION, TLS1_3_VERSION), TLS1_2_VERSION);
  EXPECT_EQ(negotiated(tls12.get(), TLS1_3_VERSION, TLS1_3_VERSION), 0);
  const SslCtxPtr tls13 = server_under({.protocols = {"TLSv1.3"}});
  EXPECT_EQ(negotiated(tls13.get(), TLS1_2_VERSION, TLS1_2_VERSION), 0);
}

TEST(TlsPolicyTest, RefusesOldAndUnknownProtocols) {
  EXPECT_EQ(refusal({.protocols = {"TLSv1.2", "TLSv1.1"}}),
            "protocol TLSv1.1 is not supported: TLSv1.2 is the oldest allowed");
  EXPECT_EQ(refusal({.protocols = {"TLSv1"}}),
            "protocol TLSv1 is not supported: TLSv1.2 is the oldest allowed");
  EXPECT_EQ(refusal({.protocols = {"TLSv2"}}), "unknown protocol \"TLSv2\" (TLSv1.2, TLSv1.3)");
}

TEST(TlsPolicyTest, CipherSuiteAndGroupOverrides) {
  EXPECT_EQ(refusal({.ciphers = "NO-SUCH-CIPHER"}),
            "no usable TLS 1.2 cipher in \"NO-SUCH-CIPHER\"");
  EXPECT_EQ(refusal({.ciphersuites = "TLS_NO_SUCH_SUITE"}),
            "unknown TLS 1.3 cipher suite in \"TLS_NO_SUCH_SUITE\"");
  EXPECT_EQ(refusal({.groups = {"P-256", "curve-nine"}}),
            "unknown group in \"prime256v1:curve-nine\"");

  const SslCtxPtr server =
      server_under({.protocols = {"TLSv1.2"}, .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"});
  const SslCtxPtr client = testing::client_context();
  const SslPtr client_ssl = testing::client_ssl(client.get());
  const SslPtr server_ssl(SSL_new(server.get()));
  ASSERT_TRUE(testing::handshake(client_ssl.get(), server_ssl.get()));
  EXPECT_STREQ(SSL_get_cipher_name(server_ssl.get()), "ECDHE-ECDSA-CHACHA20-POLY1305");

  // Only P-384 on the server: a client offering only P-256 finds no group in common.
  const SslCtxPtr p384 = server_under({.groups = {"P-384"}});
  const SslCtxPtr p256_client = testing::client_context();
  ASSERT_EQ(SSL_CTX_set1_groups_list(p256_client.get(), "P-256"), 1);
  const SslPtr p256_ssl = testing::client_ssl(p256_client.get());
  const SslPtr p384_ssl(SSL_new(p384.get()));
  EXPECT_FALSE(testing::handshake(p256_ssl.get(), p384_ssl.get()));
}

TEST(TlsPolicyTest, ServerPreference) {
  const auto suite_for = [](bool prefer_server) {
    const SslCtxPtr server =
        server_under({.protocols = {"TLSv1.3"},
                      .ciphersuites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
                      .prefer_server_ciphers = prefer_server});
    const SslCtxPtr client = testing::client_context();
    SSL_CTX_set_ciphersuites(client.get(), "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
    const SslPtr client_ssl = testing::client_ssl(client.get());
    const SslPtr server_ssl(SSL_new(server.get()));
    EXPECT_TRUE(testing::handshake(client_ssl.get(), server_ssl.get()));
    return std::string(SSL_get_cipher_name(server_ssl.get()));
  };
  EXPECT_EQ(suite_for(true), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(suite_for(false), "TLS_CHACHA20_POLY1305_SHA256");
}

TEST(TlsPolicyTest, OptionsEveryContextGets) {
  const SslCtxPtr server = server_under({});
  const std::uint64_t options = SSL_CTX_get_options(server.get());
  EXPECT_NE(options & SSL_OP_NO_COMPRESSION, 0U);
  EXPECT_NE(options & SSL_OP_NO_RENEGOTIATION, 0U);
  EXPECT_NE(options & SSL_OP_CIPHER_SERVER_PREFERENCE, 0U);
  EXPECT_EQ(SSL_CTX_get_max_early_data(server.get()), 0U);
  const long mode = SSL_CTX_get_mode(server.get());
  EXPECT_EQ(mode & SSL_MODE_RELEASE_BUFFERS, 0);
  EXPECT_NE(mode & SSL_MODE_ENABLE_PARTIAL_WRITE, 0);
  EXPECT_NE(mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, 0);
}

}  // namespace
}  // namespace bulwark::net::tls
