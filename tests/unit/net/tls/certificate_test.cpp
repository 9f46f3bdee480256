#include "net/tls/certificate.h"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cstdlib>

#include "test_pki.h"

namespace bulwark::net::tls {
namespace {

using testing::KeyType;
using testing::Pki;

std::chrono::system_clock::time_point utc(int year, unsigned month, unsigned day, int hour) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} /
                               std::chrono::day{day}} +
         std::chrono::hours{hour};
}

std::string load_error(const std::string& cert, const std::string& key,
                       const config::Passphrase& passphrase = {}) {
  std::string error;
  EXPECT_FALSE(load_certificate_chain(cert, key, passphrase, error).has_value());
  return error;
}

// The chain, or an empty one after failing the test.
CertificateChain load_ok(const std::string& cert, const std::string& key) {
  std::string error;
  std::optional<CertificateChain> chain = load_certificate_chain(cert, key, {}, error);
  if (!chain) {
    ADD_FAILURE() << error;
    return {};
  }
  return std::move(*chain);
}

// The fixture's chains verify against its root through the intermediate; the CRL revokes.
TEST(CertificateTest, FixtureChainVerifiesAndCrlRevokes) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"fixture.example"}});
  const auto& revoked = pki.issue({.names = {"revoked.example"}});
  std::string error;
  X509_STORE* store = load_ca_store(pki.root().cert, pki.crl_file({&revoked}), error);
  ASSERT_NE(store, nullptr) << error;
  for (const auto* issued : {&leaf, &revoked}) {
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, pki.intermediate().x509.get());
    ASSERT_EQ(X509_STORE_CTX_init(context, store, issued->x509.get(), untrusted), 1);
    const int verified = X509_verify_cert(context);
    EXPECT_EQ(verified == 1, issued == &leaf);
    if (issued == &revoked) {
      EXPECT_EQ(X509_STORE_CTX_get_error(context), X509_V_ERR_CERT_REVOKED);
    }
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(context);
  }
  X509_STORE_free(store);
}

TEST(CertificateTest, LoadsChainAndNames) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"WWW.Example.com", "*.example.org"}});
  const CertificateChain chain = load_ok(leaf.chain, leaf.key);
  ASSERT_NE(chain.leaf, nullptr);
  EXPECT_EQ(X509_cmp(chain.leaf.get(), leaf.x509.get()), 0);
  ASSERT_EQ(chain.intermediates.size(), 1U);
  EXPECT_EQ(X509_cmp(chain.intermediates[0].get(), pki.intermediate().x509.get()), 0);
  EXPECT_EQ(chain.names, (std::vector<std::string>{"www.example.com", "*.example.org"}));
}

TEST(CertificateTest, NamesFallBackToCommonName) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.subject = {{"CN", "Only.CN.example"}}});
  EXPECT_EQ(load_ok(leaf.cert, leaf.key).names, (std::vector<std::string>{"only.cn.example"}));
}

TEST(CertificateTest, UnreadableFiles) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"a.example"}});
  const std::string missing = pki.path("missing.pem");
  EXPECT_EQ(load_error(missing, leaf.key),
            missing + ": cannot be read (No such file or directory)");
  EXPECT_EQ(load_error(leaf.cert, missing),
            missing + ": cannot be read (No such file or directory)");
}

TEST(CertificateTest, NoPemCertificateOrKey) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"a.example"}});
  const std::string junk = pki.write("junk.pem", "not a pem file\n");
  EXPECT_EQ(load_error(junk, leaf.key), junk + ": holds no PEM certificate");
  EXPECT_EQ(load_error(leaf.cert, junk), junk + ": holds no PEM private key");
  // A certificate where the key should be is no key either.
  EXPECT_EQ(load_error(leaf.cert, leaf.cert), leaf.cert + ": holds no PEM private key");
}

TEST(CertificateTest, ExpiredAndNotYetValid) {
  Pki& pki = Pki::shared();
  const auto& expired = pki.issue({.names = {"old.example"},
                                   .not_before = utc(2024, 1, 1, 0),
                                   .not_after = utc(2025, 1, 31, 12)});
  EXPECT_EQ(load_error(expired.cert, expired.key),
            expired.cert + ": expired on 2025-01-31 12:00:00 UTC");
  const auto& future =
      pki.issue({.names = {"new.example"},
                 .not_before = std::chrono::system_clock::now() + std::chrono::hours{24 * 400},
                 .not_after = std::chrono::system_clock::now() + std::chrono::hours{24 * 800}});
  EXPECT_TRUE(load_error(future.cert, future.key).starts_with(future.cert + ": not valid before "))
      << load_error(future.cert, future.key);
  // `now` decides: the expired one was valid in 2024.
  std::string error;
  EXPECT_TRUE(
      load_certificate_chain(expired.cert, expired.key, {}, error, utc(2024, 6, 1, 0)).has_value())
      << error;
  EXPECT_EQ(load_certificate_chain(expired.cert, expired.key, {}, error, utc(2023, 6, 1, 0)),
            std::nullopt);
  EXPECT_EQ(error, expired.cert + ": not valid before 2024-01-01 00:00:00 UTC");
}

TEST(CertificateTest, KeyOfAnotherCertificate) {
  Pki& pki = Pki::shared();
  const auto& one = pki.issue({.names = {"one.example"}});
  const auto& two = pki.issue({.names = {"two.example"}});
  EXPECT_EQ(load_error(one.cert, two.key),
            two.key + ": the key does not match the certificate " + one.cert);
}

TEST(CertificateTest, EncryptedKeyPassphrases) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"secret.example"}, .passphrase = "s3cret"});
  EXPECT_EQ(load_error(leaf.cert, leaf.key),
            leaf.key + ": the key is encrypted and no passphrase is configured");
  EXPECT_EQ(load_error(leaf.cert, leaf.key, {.file = pki.write("wrong.pass", "nope\n")}),
            leaf.key + ": the passphrase is wrong");
  std::string error;
  EXPECT_TRUE(load_certificate_chain(leaf.cert, leaf.key,
                                     {.file = pki.write("right.pass", "s3cret\nsecond line\n")},
                                     error)
                  .has_value())
      << error;
  ::setenv("BULWARK_TEST_KEY_PASS", "s3cret", 1);
  EXPECT_TRUE(load_certificate_chain(leaf.cert, leaf.key, {.env = "BULWARK_TEST_KEY_PASS"}, error)
                  .has_value())
      << error;
  ::unsetenv("BULWARK_TEST_KEY_PASS");
  EXPECT_EQ(load_error(leaf.cert, leaf.key, {.env = "BULWARK_TEST_KEY_PASS"}),
            leaf.key + ": the passphrase variable BULWARK_TEST_KEY_PASS is not set");
  const std::string missing = pki.path("missing.pass");
  EXPECT_EQ(load_error(leaf.cert, leaf.key, {.file = missing}),
            missing + ": cannot be read (No such file or directory)");
}

TEST(CertificateTest, RsaKeyLoads) {
  Pki& pki = Pki::shared();
  const auto& leaf = pki.issue({.names = {"rsa.example"}, .key = KeyType::kRsa});
  const CertificateChain chain = load_ok(leaf.chain, leaf.key);
  ASSERT_NE(chain.key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(chain.key.get()), EVP_PKEY_RSA);
}

TEST(CertificateTest, CaStoreErrors) {
  Pki& pki = Pki::shared();
  std::string error;
  const std::string junk = pki.write("junk-ca.pem", "junk\n");
  EXPECT_EQ(load_ca_store(junk, "", error), nullptr);
  EXPECT_EQ(error, junk + ": holds no PEM certificate");
  EXPECT_EQ(load_ca_store(pki.root().cert, junk, error), nullptr);
  EXPECT_EQ(error, junk + ": holds no PEM CRL");
  const std::string missing = pki.path("missing-ca.pem");
  EXPECT_EQ(load_ca_store(missing, "", error), nullptr);
  EXPECT_EQ(error, missing + ": cannot be read (No such file or directory)");
}

}  // namespace
}  // namespace bulwark::net::tls
