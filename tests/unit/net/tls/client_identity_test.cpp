// The identity of a client certificate as sent upstream: its fields, the escaping of what a
// certificate may hold but a header must not, and that only a verified certificate has one.

#include "net/tls/client_identity.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <string>

#include "crafted_certificate.h"
#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using testing::craft_certificate;
using testing::Pki;

std::string raw_address(int family, const char* text) {
  std::array<unsigned char, 16> address{};
  EXPECT_EQ(inet_pton(family, text, address.data()), 1);
  return {reinterpret_cast<const char*>(address.data()), family == AF_INET ? 4U : 16U};
}

// SHA-256 of the DER, computed here the long way round.
std::string sha256_hex(X509* certificate) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(certificate, &der);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  EVP_Digest(der, static_cast<std::size_t>(size), digest.data(), &digest_size, EVP_sha256(),
             nullptr);
  OPENSSL_free(der);
  std::string hex;
  for (unsigned int i = 0; i < digest_size; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0xf];
  }
  return hex;
}

testing::Crafted craft(const testing::CraftOptions& options) {
  const testing::Issued& ca = Pki::shared().intermediate();
  return craft_certificate(ca.x509.get(), ca.pkey.get(), options);
}

TEST(ClientIdentityTest, SubjectSansAndFingerprint) {
  const auto crafted = craft({
      .subject = {{"C", "DE"}, {"O", "Example, Inc."}, {"CN", "alice"}},
      .sans = {{GEN_DNS, "a.example"},
               {GEN_EMAIL, "alice@example.com"},
               {GEN_URI, "spiffe://example.com/alice"},
               {GEN_IPADD, raw_address(AF_INET, "10.0.0.1")},
               {GEN_IPADD, raw_address(AF_INET6, "2001:db8::1")},
               {GEN_IPADD, std::string("\x0a\x00\x00", 3)},  // neither IPv4 nor IPv6: left out
               {GEN_DNS, "*.b.example"}},
  });
  const ClientIdentity identity = client_identity_of(crafted.x509.get());
  // RFC 2253: the last RDN first, ',' in a value escaped.
  EXPECT_EQ(identity.subject, "CN=alice,O=Example\\, Inc.,C=DE");
  EXPECT_EQ(identity.sans,
            "DNS:a.example,email:alice@example.com,URI:spiffe://example.com/alice,IP:10.0.0.1,"
            "IP:2001:db8::1,DNS:*.b.example");
  EXPECT_EQ(identity.fingerprint, sha256_hex(crafted.x509.get()));
  EXPECT_EQ(identity.fingerprint.size(), 64U);
}

TEST(ClientIdentityTest, NoSans) {
  const auto crafted = craft({.subject = {{"CN", "bob"}}, .sans = {}});
  const ClientIdentity identity = client_identity_of(crafted.x509.get());
  EXPECT_EQ(identity.subject, "CN=bob");
  EXPECT_EQ(identity.sans, "");
}

TEST(ClientIdentityTest, ControlCharactersAndNonAsciiAreEscaped) {
  const auto crafted = craft({
      .subject = {{"O", "caf\xc3\xa9"}, {"CN", "evil\r\nX-Injected: yes\x7f"}},
      .sans = {{GEN_DNS, std::string("a,b\r\n\\c\0d", 9)},
               {GEN_EMAIL, "x@y\tz"},
               {GEN_URI, "https://example.com/\x1b[31m"}},
  });
  const ClientIdentity identity = client_identity_of(crafted.x509.get());
  EXPECT_EQ(identity.subject, "CN=evil\\0D\\0AX-Injected: yes\\7F,O=caf\\C3\\A9");
  // In the list, ',' and '\' inside a name are escaped too: it splits on ',' alone.
  EXPECT_EQ(identity.sans,
            "DNS:a\\2Cb\\0D\\0A\\5Cc\\00d,email:x@y\\09z,URI:https://example.com/\\1B[31m");
  for (const std::string& field : {identity.subject, identity.sans}) {
    for (const char c : field)
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << field;
  }
}

// A server that asks for a client certificate and accepts any (it decides on the verify result
// itself), as an optional client-certificate listener does.
class ClientIdentityHandshakeTest : public ::testing::Test {
 protected:
  ClientIdentityHandshakeTest() {
    const testing::Issued& cert = pki_.issue({.names = {"server.example"}});
    SSL_CTX_use_certificate_chain_file(server_.get(), cert.chain.c_str());
    SSL_CTX_use_PrivateKey_file(server_.get(), cert.key.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_load_verify_locations(server_.get(), pki_.root().cert.c_str(), nullptr);
    SSL_CTX_set_verify(server_.get(), SSL_VERIFY_PEER,
                       [](int /*ok*/, X509_STORE_CTX* /*store*/) { return 1; });
  }

  // The server's SSL after a handshake with a client presenting `client_cert` (none when null).
  SslPtr connect(const testing::Issued* client_cert) {
    const SslCtxPtr client = testing::client_context();
    if (client_cert != nullptr) {
      SSL_CTX_use_certificate_chain_file(client.get(), client_cert->chain.c_str());
      SSL_CTX_use_PrivateKey_file(client.get(), client_cert->key.c_str(), SSL_FILETYPE_PEM);
    }
    const SslPtr client_ssl = testing::client_ssl(client.get(), "server.example");
    SslPtr server_ssl(SSL_new(server_.get()));
    EXPECT_TRUE(testing::handshake(client_ssl.get(), server_ssl.get()));
    return server_ssl;
  }

  Pki& pki_ = Pki::shared();
  SslCtxPtr server_{SSL_CTX_new(TLS_server_method())};
};

TEST_F(ClientIdentityHandshakeTest, VerifiedCertificate) {
  const testing::Issued& alice = pki_.issue({.names = {"alice.example"},
                                             .subject = {{"O", "Example"}, {"CN", "alice"}},
                                             .emails = {"alice@example.com"},
                                             .uris = {"spiffe://example.com/alice"},
                                             .client = true});
  const SslPtr server = connect(&alice);
  const std::optional<ClientIdentity> verified = verified_client_identity(server.get());
  ASSERT_TRUE(verified.has_value());
  const ClientIdentity identity = verified.value_or(ClientIdentity{});
  EXPECT_EQ(identity.subject, "CN=alice,O=Example");
  EXPECT_EQ(identity.sans,
            "DNS:alice.example,email:alice@example.com,URI:spiffe://example.com/alice");
  EXPECT_EQ(identity.fingerprint, sha256_hex(alice.x509.get()));
}

TEST_F(ClientIdentityHandshakeTest, NoCertificateNoIdentity) {
  const SslPtr server = connect(nullptr);
  EXPECT_FALSE(verified_client_identity(server.get()));
}

TEST_F(ClientIdentityHandshakeTest, UnverifiedCertificateNoIdentity) {
  Pki other;  // a CA the server does not trust
  const testing::Issued& mallory =
      other.issue({.names = {"mallory.example"}, .ca = &other.root(), .client = true});
  const SslPtr server = connect(&mallory);
  ASSERT_NE(SSL_get0_peer_certificate(server.get()), nullptr);
  EXPECT_NE(SSL_get_verify_result(server.get()), X509_V_OK);
  EXPECT_FALSE(verified_client_identity(server.get()));
}

}  // namespace
}  // namespace bulwark::net::tls
