#include "net/tls/server_context.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>

#include "net/tls/ticket_keys.h"
#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using testing::Issued;
using testing::KeyType;
using testing::Pki;
using Mode = config::ClientCertificates::Mode;

config::TlsCertificate served(const Issued& issued, bool is_default = false) {
  return {.cert = issued.chain, .key = issued.key, .default_certificate = is_default};
}

std::shared_ptr<const ServerContext> build(const config::ListenerTls& tls,
                                           const std::vector<std::string>& alpn = {},
                                           std::shared_ptr<TicketKeys> keys = nullptr) {
  std::string error;
  auto context = ServerContext::build(tls, alpn, std::move(keys), error);
  EXPECT_NE(context, nullptr) << error;
  return context;
}

std::string build_error(const config::ListenerTls& tls) {
  std::string error;
  EXPECT_EQ(ServerContext::build(tls, {}, nullptr, error), nullptr);
  return error;
}

// One connection: the client (set up by `setup`) against a new SSL of `server`.
struct Connection {
  SslPtr client;
  SslPtr server;
  bool ok = false;
};
Connection connect(const ServerContext& server, SSL_CTX* client_context,
                   const std::string& sni = {}, const std::function<void(SSL*)>& setup = {}) {
  Connection connection{.client = testing::client_ssl(client_context, sni),
                        .server = server.new_ssl()};
  if (setup) setup(connection.client.get());
  connection.ok = testing::handshake(connection.client.get(), connection.server.get());
  return connection;
}

const Issued& leaf(const std::string& name, KeyType key = KeyType::kEcdsa) {
  return Pki::shared().issue({.names = {name}, .key = key});
}

class ServerContextTest : public ::testing::Test {
 protected:
  SslCtxPtr client_ = testing::client_context();
};

TEST_F(ServerContextTest, SniPicksExactThenWildcardThenDefault) {
  const auto server =
      build({.certificates = {served(leaf("a.example")), served(leaf("*.example.org")),
                              served(leaf("default.example"), true)}});
  const auto name_for = [&](const std::string& sni) {
    Connection connection = connect(*server, client_.get(), sni);
    EXPECT_TRUE(connection.ok) << sni;
    return testing::served_name(connection.client.get());
  };
  EXPECT_EQ(name_for("a.example"), "a.example");
  EXPECT_EQ(name_for("A.Example."), "a.example");
  EXPECT_EQ(name_for("x.example.org"), "*.example.org");
  EXPECT_EQ(name_for("y.x.example.org"), "default.example");  // one label only
  EXPECT_EQ(name_for("example.org"), "default.example");
  EXPECT_EQ(name_for("unknown.test"), "default.example");
  EXPECT_EQ(name_for(""), "default.example");
}

// The transport only binds a descriptor and calls SSL_do_handshake: the SSL knows its side.
TEST_F(ServerContextTest, NewSslWaitsForAClientHello) {
  const auto server = build({.certificates = {served(leaf("side.example"))}});
  const SslPtr ssl = server->new_ssl();
  BIO* ours = nullptr;
  BIO* theirs = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&ours, 0, &theirs, 0), 1);
  SSL_set_bio(ssl.get(), ours, ours);
  const int result = SSL_do_handshake(ssl.get());
  EXPECT_EQ(SSL_get_error(ssl.get(), result), SSL_ERROR_WANT_READ);
  BIO_free(theirs);
}

TEST_F(ServerContextTest, FirstCertificateIsTheDefaultUnlessOneSaysSo) {
  const auto server =
      build({.certificates = {served(leaf("first.example")), served(leaf("second.example"))}});
  EXPECT_EQ(testing::served_name(connect(*server, client_.get()).client.get()), "first.example");
  // An exact name beats a wildcard that also covers it.
  const auto overlap = build(
      {.certificates = {served(leaf("*.overlap.example")), served(leaf("www.overlap.example"))}});
  EXPECT_EQ(
      testing::served_name(connect(*overlap, client_.get(), "www.overlap.example").client.get()),
      "www.overlap.example");
}

// A connection accepted before a reload finishes its handshake on the old contexts, SNI, ALPN
// and staples included, after the ServerContext that made it is gone (AddressSanitizer watches).
TEST_F(ServerContextTest, ConnectionOutlivesTheServerContext) {
  const Issued& stapled = leaf("late.example");
  config::TlsCertificate certificate = served(stapled);
  certificate.ocsp_response = Pki::shared().ocsp_response(stapled, "late.der");
  auto server = build({.certificates = {served(leaf("first-late.example")), certificate}},
                      {"http/1.1"}, std::make_shared<TicketKeys>(std::chrono::hours{1}));
  const SslPtr server_ssl = server->new_ssl();
  server.reset();
  const SslPtr client = testing::client_ssl(client_.get(), "late.example");
  SSL_set_tlsext_status_type(client.get(), TLSEXT_STATUSTYPE_ocsp);
  SSL_set_alpn_protos(client.get(), reinterpret_cast<const unsigned char*>("\x08http/1.1"), 9);
  ASSERT_TRUE(testing::handshake(client.get(), server_ssl.get()));
  EXPECT_EQ(testing::served_name(client.get()), "late.example");
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(client.get(), &protocol, &length);
  EXPECT_EQ(length, 8U);
}

TEST_F(ServerContextTest, ClientSignatureAlgorithmsChooseRsaOrEcdsa) {
  const auto server = build({.certificates = {served(leaf("dual.example", KeyType::kRsa)),
                                              served(leaf("dual.example", KeyType::kEcdsa)),
                                              served(leaf("other.example"), true)}});
  const auto key_type_for = [&](const char* sigalgs, int max_version) {
    Connection connection = connect(*server, client_.get(), "dual.example", [&](SSL* client) {
      SSL_set1_sigalgs_list(client, sigalgs);
      SSL_set_max_proto_version(client, max_version);
    });
    EXPECT_TRUE(connection.ok) << sigalgs;
    EXPECT_EQ(testing::served_name(connection.client.get()), "dual.example");
    return EVP_PKEY_get_base_id(
        X509_get0_pubkey(SSL_get0_peer_certificate(connection.client.get())));
  };
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    EXPECT_EQ(key_type_for("rsa_pss_rsae_sha256:RSA+SHA256", version), EVP_PKEY_RSA);
    EXPECT_EQ(key_type_for("ECDSA+SHA256", version), EVP_PKEY_EC);
  }
}

TEST_F(ServerContextTest, TwoCertificatesOfOneKeyTypeForTheSameNamesAreRefused) {
  const Issued& one = leaf("same.example");
  const Issued& two = leaf("same.example");
  EXPECT_EQ(
      build_error({.certificates = {served(one), served(two)}}),
      two.chain + ": another certificate for the same names has the same key type; one per type");
}

TEST_F(ServerContextTest, LoaderErrorsNameTheFile) {
  const Issued& good = leaf("good.example");
  const Issued& other = leaf("other.example");
  EXPECT_EQ(build_error({.certificates = {served(good), {.cert = good.chain, .key = other.key}}}),
            other.key + ": the key does not match the certificate " + good.chain);
  const std::string junk = Pki::shared().write("junk-ocsp.der", "junk");
  EXPECT_EQ(
      build_error({.certificates = {{.cert = good.chain, .key = good.key, .ocsp_response = junk}}}),
      junk + ": holds no DER OCSP response");
  const std::string missing = Pki::shared().path("missing-ca.pem");
  EXPECT_EQ(build_error({.certificates = {served(good)},
                         .client_certificates = {.mode = Mode::kRequired, .ca = missing}}),
            missing + ": cannot be read (No such file or directory)");
  EXPECT_EQ(build_error({.certificates = {served(good)}, .policy = {.protocols = {"TLSv1.1"}}}),
            "protocol TLSv1.1 is not supported: TLSv1.2 is the oldest allowed");
}

TEST_F(ServerContextTest, AlpnServerPreference) {
  const auto server = build({.certificates = {served(leaf("alpn.example"))}}, {"h2", "http/1.1"});
  const auto chosen = [&](std::string_view offer) {
    Connection connection = connect(*server, client_.get(), {}, [&](SSL* client) {
      if (!offer.empty()) {
        SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(offer.data()),
                            static_cast<unsigned int>(offer.size()));
      }
    });
    EXPECT_TRUE(connection.ok);
    const unsigned char* protocol = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(connection.client.get(), &protocol, &length);
    return std::string(reinterpret_cast<const char*>(protocol), length);
  };
  using std::string_view_literals::operator""sv;
  EXPECT_EQ(chosen("\x08http/1.1\x02h2"sv), "h2");
  EXPECT_EQ(chosen("\x08http/1.1"sv), "http/1.1");
  EXPECT_EQ(chosen("\x06spdy/3"sv), "");  // no overlap: the handshake goes on without ALPN
  EXPECT_EQ(chosen(""sv), "");
}

// Connects twice, the second time offering the first connection's session; whether it resumed.
bool resumes(const ServerContext& server, SSL_CTX* client, const std::string& sni = {}) {
  Connection first = connect(server, client, sni);
  EXPECT_TRUE(first.ok);
  const SslSessionPtr session(SSL_get1_session(first.client.get()));
  Connection second =
      connect(server, client, sni, [&](SSL* ssl) { SSL_set_session(ssl, session.get()); });
  EXPECT_TRUE(second.ok);
  return SSL_session_reused(second.client.get()) == 1;
}

TEST_F(ServerContextTest, ResumptionByTicketsOrCache) {
  const config::TlsCertificate a = served(leaf("r.example"));
  const config::TlsCertificate b = served(leaf("s.example"));
  const auto keys = std::make_shared<TicketKeys>(std::chrono::hours{1});
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_CTX_set_max_proto_version(client_.get(), version);
    const auto tickets =
        build({.certificates = {a, b}, .resumption = {.tickets = true, .session_cache = false}}, {},
              keys);
    EXPECT_TRUE(resumes(*tickets, client_.get())) << version;
    EXPECT_TRUE(resumes(*tickets, client_.get(), "s.example")) << version;  // SNI-switched
    const auto cache =
        build({.certificates = {a, b}, .resumption = {.tickets = false, .session_cache = true}});
    EXPECT_TRUE(resumes(*cache, client_.get())) << version;
    EXPECT_TRUE(resumes(*cache, client_.get(), "s.example")) << version;
    const auto neither =
        build({.certificates = {a, b}, .resumption = {.tickets = false, .session_cache = false}});
    EXPECT_FALSE(resumes(*neither, client_.get())) << version;
  }
}

std::string staple_of(const Connection& connection) {
  const unsigned char* response = nullptr;
  // NOLINTNEXTLINE(bugprone-multi-level-implicit-pointer-conversion): OpenSSL's macro casts.
  const long length = SSL_get_tlsext_status_ocsp_resp(connection.client.get(), &response);
  return length <= 0 ? std::string()
                     : std::string(reinterpret_cast<const char*>(response),
                                   static_cast<std::size_t>(length));
}

std::string contents(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(ServerContextTest, OcspStapleAndRefresh) {
  Pki& pki = Pki::shared();
  const Issued& stapled = leaf("ocsp.example");
  const std::string file = pki.ocsp_response(stapled, "ocsp.der", 24);
  config::TlsCertificate certificate = served(stapled);
  certificate.ocsp_response = file;
  const auto server = build({.certificates = {certificate, served(leaf("plain.example"))}});
  EXPECT_NE(std::ranges::find(server->files(), file), server->files().end());
  const auto ask = [](SSL* client) { SSL_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp); };

  const std::string first = contents(file);
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example", ask)), first);
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example")), "");  // not asked
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "plain.example", ask)), "");

  server->refresh_ocsp();  // nothing changed
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example", ask)), first);
  pki.ocsp_response(stapled, "ocsp.der", 48);
  const std::string second = contents(file);
  ASSERT_NE(second, first);
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example", ask)), first);
  server->refresh_ocsp();
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example", ask)), second);
  // A broken file leaves the last good response stapled.
  pki.write("ocsp.der", "broken");
  server->refresh_ocsp();
  EXPECT_EQ(staple_of(connect(*server, client_.get(), "ocsp.example", ask)), second);
}

class ClientCertificateTest : public ServerContextTest {
 protected:
  std::shared_ptr<const ServerContext> listener(Mode mode) {
    return build({.certificates = {served(server_leaf_), served(other_leaf_, true)},
                  .client_certificates = {.mode = mode, .ca = pki_.root().cert, .crl = crl_}});
  }
  Connection with(const ServerContext& server, const Issued* certificate,
                  const std::string& sni = "mtls.example") {
    return connect(server, client_.get(), sni, [&](SSL* client) {
      if (certificate != nullptr) testing::present(client, *certificate);
    });
  }

  Pki& pki_ = Pki::shared();
  const Issued& server_leaf_ = leaf("mtls.example");
  const Issued& other_leaf_ = leaf("default-mtls.example");
  const Issued& alice_ = pki_.issue({.subject = {{"CN", "alice"}, {"O", "Example"}},
                                     .emails = {"alice@example.com"},
                                     .uris = {"spiffe://example/alice"},
                                     .client = true});
  const Issued& mallory_ = pki_.issue({.subject = {{"CN", "mallory"}}, .client = true});
  const Issued& expired_ =
      pki_.issue({.not_before = std::chrono::system_clock::now() - std::chrono::hours{48},
                  .not_after = std::chrono::system_clock::now() - std::chrono::hours{24},
                  .subject = {{"CN", "old"}},
                  .client = true});
  std::string crl_ = pki_.crl_file({&mallory_});
};

TEST_F(ClientCertificateTest, RequiredRejectsMissingAndRevoked) {
  const auto server = listener(Mode::kRequired);
  EXPECT_FALSE(with(*server, nullptr).ok);
  EXPECT_FALSE(with(*server, nullptr, "unknown.example").ok);  // the default context too
  EXPECT_FALSE(with(*server, &mallory_).ok);
  EXPECT_FALSE(with(*server, &expired_).ok);
  const Connection alice = with(*server, &alice_);
  ASSERT_TRUE(alice.ok);
  EXPECT_EQ(SSL_get_verify_result(alice.server.get()), X509_V_OK);
  const X509Ptr peer(SSL_get1_peer_certificate(alice.server.get()));
  EXPECT_EQ(X509_cmp(peer.get(), alice_.x509.get()), 0);
  // Both contexts ask for certificates from the configured CA.
  const STACK_OF(X509_NAME)* asked = SSL_get_client_CA_list(alice.server.get());
  ASSERT_EQ(sk_X509_NAME_num(asked), 1);
  EXPECT_EQ(
      X509_NAME_cmp(sk_X509_NAME_value(asked, 0), X509_get_subject_name(pki_.root().x509.get())),
      0);
}

TEST_F(ClientCertificateTest, OptionalLetsEveryoneInAndTellsTheTruth) {
  const auto server = listener(Mode::kOptional);
  const Connection anonymous = with(*server, nullptr);
  ASSERT_TRUE(anonymous.ok);
  EXPECT_EQ(SSL_get0_peer_certificate(anonymous.server.get()), nullptr);
  const Connection revoked = with(*server, &mallory_, "default-mtls.example");
  ASSERT_TRUE(revoked.ok);
  EXPECT_EQ(SSL_get_verify_result(revoked.server.get()), X509_V_ERR_CERT_REVOKED);
  const Connection expired = with(*server, &expired_);
  ASSERT_TRUE(expired.ok);
  EXPECT_EQ(SSL_get_verify_result(expired.server.get()), X509_V_ERR_CERT_HAS_EXPIRED);
  const Connection alice = with(*server, &alice_);
  ASSERT_TRUE(alice.ok);
  EXPECT_EQ(SSL_get_verify_result(alice.server.get()), X509_V_OK);
}

TEST_F(ClientCertificateTest, OffAsksForNothing) {
  const auto server = listener(Mode::kOff);
  const Connection alice = with(*server, &alice_);
  ASSERT_TRUE(alice.ok);
  EXPECT_EQ(SSL_get0_peer_certificate(alice.server.get()), nullptr);
}

TEST_F(ClientCertificateTest, FilesListsEverythingRead) {
  config::TlsCertificate secret = served(leaf("files.example"));
  secret.passphrase.file = pki_.write("files.pass", "unused\n");
  const auto server = build(
      {.certificates = {secret},
       .client_certificates = {.mode = Mode::kRequired, .ca = pki_.root().cert, .crl = crl_}});
  EXPECT_EQ(server->files(),
            (std::vector<std::string>{secret.cert, secret.key, secret.passphrase.file,
                                      pki_.root().cert, crl_}));
}

}  // namespace
}  // namespace bulwark::net::tls
