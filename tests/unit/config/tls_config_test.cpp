// The tls: blocks of listeners and clusters, redirect_to_https and require_client_certificate:
// every key, the shorthand, the defaults, and each mistake at its line and column.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../net/tls/test_pki.h"
#include "../optional_value.h"
#include "cluster_fixture.h"

namespace bulwark::config {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using ::testing::ElementsAre;

using testing::value_of;

// The loader opens every file a tls: block names, so the tests of configurations that load need
// real ones: made once with the test PKI, in a directory of their own where the configuration
// file "is", so that the names the YAML uses (a.pem, ca.pem, ...) resolve there.
const std::string& directory() {
  static const std::string path = [] {
    using net::tls::testing::Issued;
    using net::tls::testing::KeyType;
    net::tls::testing::Pki& pki = net::tls::testing::Pki::shared();
    const std::string dir = pki.path("config");
    std::filesystem::create_directories(dir);
    const auto copy = [&](const std::string& from, const std::string& to) {
      std::filesystem::copy_file(from, dir + "/" + to,
                                 std::filesystem::copy_options::overwrite_existing);
    };
    const Issued& plain = pki.issue({.names = {"example.com"}});
    copy(plain.chain, "a.pem");
    copy(plain.key, "a.key");
    const Issued& rsa =
        pki.issue({.names = {"example.com"}, .key = KeyType::kRsa, .passphrase = "rsa secret"});
    copy(rsa.chain, "rsa.pem");
    copy(rsa.key, "rsa.key");
    copy(pki.ocsp_response(rsa, "config-rsa.ocsp"), "rsa.ocsp");
    const Issued& ec = pki.issue({.names = {"api.example.com"}, .passphrase = "ec secret"});
    copy(ec.chain, "ec.pem");
    copy(ec.key, "ec.key");
    std::ofstream(dir + "/pass.txt") << "ec secret\n";
    copy(pki.root().cert, "ca.pem");
    copy(pki.crl_file({}), "crl.pem");
    const Issued& client =
        pki.issue({.names = {"bulwark"}, .client = true, .passphrase = "client secret"});
    copy(client.chain, "client.pem");
    copy(client.key, "client.key");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): before any test reads them
    ::setenv("KEY_PASS", "rsa secret", 1);
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    ::setenv("CLIENT_KEY_PASS", "client secret", 1);
    return dir;
  }();
  return path;
}

std::string in_directory(std::string_view name) {
  return fmt::format("{}/{}", directory(), name);
}

// The configuration file of the tests that load, in directory().
std::string config_file() {
  return in_directory("t.yaml");
}

// One listener whose `tls:` is `block` (its first line is line 4, indented under the listener),
// with `route` before its catch-all route.
std::string listener_yaml(std::string_view block, std::string_view route = "") {
  return fmt::format(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
{}    virtual_hosts:
      - domains: ["*"]
        routes:
{}          - proxy: {{ cluster: demo }}
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)",
                     block, route);
}

LoadResult load_tls(std::string_view block, std::string_view route = "",
                    const std::string& file = "t.yaml") {
  return load_config_string(listener_yaml(block, route), file);
}

std::vector<std::string> tls_errors(std::string_view block, std::string_view route = "") {
  const LoadResult result = load_tls(block, route);
  EXPECT_EQ(result.config, nullptr);
  return formatted(result);
}

ListenerTls listener_tls(const ConfigPtr& config) {
  if (config == nullptr || !config->listeners[0].tls) {
    ADD_FAILURE() << "no listener tls";
    return {};
  }
  return value_of(config->listeners[0].tls);
}

ConfigPtr load_tls_ok(std::string_view block, std::string_view route = "") {
  const LoadResult result = load_tls(block, route, config_file());
  for (const std::string& error : formatted(result))
    ADD_FAILURE() << error;
  return result.config;
}

TEST(ListenerTlsTest, ShorthandGivesOneCertificateAndTheDefaults) {
  const ConfigPtr config = load_tls_ok("    tls: { cert: a.pem, key: a.key }\n");
  const ListenerTls tls = listener_tls(config);
  ASSERT_EQ(tls.certificates.size(), 1U);
  EXPECT_EQ(tls.certificates[0].cert, in_directory("a.pem"));
  EXPECT_EQ(tls.certificates[0].key, in_directory("a.key"));
  EXPECT_TRUE(tls.certificates[0].passphrase.env.empty());
  EXPECT_TRUE(tls.certificates[0].passphrase.file.empty());
  EXPECT_TRUE(tls.certificates[0].ocsp_response.empty());
  EXPECT_FALSE(tls.certificates[0].default_certificate);
  EXPECT_EQ(tls.mark.line, 4);
  EXPECT_EQ(tls.policy.profile, "intermediate");
  EXPECT_TRUE(tls.policy.protocols.empty());
  EXPECT_TRUE(tls.policy.ciphers.empty());
  EXPECT_TRUE(tls.policy.ciphersuites.empty());
  EXPECT_TRUE(tls.policy.groups.empty());
  EXPECT_TRUE(tls.policy.prefer_server_ciphers);
  EXPECT_TRUE(tls.resumption.tickets);
  EXPECT_EQ(tls.resumption.ticket_key_rotation, hours{12});
  EXPECT_TRUE(tls.resumption.session_cache);
  EXPECT_EQ(tls.resumption.session_cache_size, 20'480U);
  EXPECT_EQ(tls.resumption.session_lifetime, hours{1});
  EXPECT_EQ(tls.client_certificates.mode, ClientCertificates::Mode::kOff);
  EXPECT_FALSE(tls.hsts.has_value());
  EXPECT_FALSE(config->listeners[0].redirect_to_https.has_value());
}

TEST(ListenerTlsTest, ReadsEveryKey) {
  const ConfigPtr config = load_tls_ok(R"(    tls:
      certificates:
        - { cert: rsa.pem, key: rsa.key, passphrase_env: KEY_PASS, ocsp_response: rsa.ocsp }
        - cert: ec.pem
          key: ec.key
          passphrase_file: pass.txt
          default: true
      profile: modern
      protocols: [TLSv1.3, TLSv1.2]
      ciphers: ECDHE-ECDSA-AES128-GCM-SHA256
      ciphersuites: TLS_AES_128_GCM_SHA256
      groups: [X25519, P-256]
      prefer_server_ciphers: false
      resumption:
        tickets: true
        ticket_key_rotation: 6h
        session_cache: true
        session_cache_size: 1000
        session_lifetime: 30m
      client_certificates:
        mode: optional
        ca: ca.pem
        crl: crl.pem
        verify_depth: 2
        headers: { subject: X-Subject, sans: "", fingerprint: x-fp }
      hsts: { max_age: 2y, include_subdomains: true, preload: true }
)");
  const ListenerTls tls = listener_tls(config);
  ASSERT_EQ(tls.certificates.size(), 2U);
  EXPECT_EQ(tls.certificates[0].cert, in_directory("rsa.pem"));
  EXPECT_EQ(tls.certificates[0].key, in_directory("rsa.key"));
  EXPECT_EQ(tls.certificates[0].passphrase.env, "KEY_PASS");
  EXPECT_EQ(tls.certificates[0].ocsp_response, in_directory("rsa.ocsp"));
  EXPECT_FALSE(tls.certificates[0].default_certificate);
  EXPECT_EQ(tls.certificates[0].mark.line, 6);
  EXPECT_EQ(tls.certificates[1].cert, in_directory("ec.pem"));
  EXPECT_EQ(tls.certificates[1].passphrase.file, in_directory("pass.txt"));
  EXPECT_TRUE(tls.certificates[1].default_certificate);
  EXPECT_EQ(tls.policy.profile, "modern");
  EXPECT_EQ(tls.policy.protocols, (std::vector<std::string>{"TLSv1.3", "TLSv1.2"}));
  EXPECT_EQ(tls.policy.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(tls.policy.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(tls.policy.groups, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_FALSE(tls.policy.prefer_server_ciphers);
  EXPECT_TRUE(tls.resumption.tickets);
  EXPECT_EQ(tls.resumption.ticket_key_rotation, hours{6});
  EXPECT_TRUE(tls.resumption.session_cache);
  EXPECT_EQ(tls.resumption.session_cache_size, 1000U);
  EXPECT_EQ(tls.resumption.session_lifetime, std::chrono::minutes{30});
  EXPECT_EQ(tls.client_certificates.mode, ClientCertificates::Mode::kOptional);
  EXPECT_EQ(tls.client_certificates.ca, in_directory("ca.pem"));
  EXPECT_EQ(tls.client_certificates.crl, in_directory("crl.pem"));
  EXPECT_EQ(tls.client_certificates.verify_depth, 2);
  EXPECT_EQ(tls.client_certificates.subject_header, "x-subject");
  EXPECT_EQ(tls.client_certificates.sans_header, "");
  EXPECT_EQ(tls.client_certificates.fingerprint_header, "x-fp");
  const Hsts hsts = value_of(tls.hsts);
  EXPECT_EQ(hsts.max_age, seconds{2 * 365 * 24 * 3600});
  EXPECT_TRUE(hsts.include_subdomains);
  EXPECT_TRUE(hsts.preload);
}

TEST(ListenerTlsTest, RelativePathsStartAtTheConfigurationsDirectory) {
  const std::string absolute = in_directory("ec.pem");
  const ListenerTls tls = listener_tls(load_tls_ok(fmt::format(R"(    tls:
      certificates:
        - {{ cert: a.pem, key: ./a.key }}
        - {{ cert: {}, key: ../config/ec.key, passphrase_file: pass.txt }}
)",
                                                               absolute)));
  ASSERT_EQ(tls.certificates.size(), 2U);
  EXPECT_EQ(tls.certificates[0].cert, in_directory("a.pem"));
  EXPECT_EQ(tls.certificates[0].key, in_directory("./a.key"));
  EXPECT_EQ(tls.certificates[1].cert, absolute);
  EXPECT_EQ(tls.certificates[1].key, in_directory("../config/ec.key"));
}

TEST(ListenerTlsTest, ResumptionOffAndHstsTrue) {
  const ListenerTls tls = listener_tls(
      load_tls_ok("    tls: { cert: a.pem, key: a.key, resumption: off, hsts: true }\n"));
  EXPECT_FALSE(tls.resumption.tickets);
  EXPECT_FALSE(tls.resumption.session_cache);
  const Hsts hsts = value_of(tls.hsts);
  EXPECT_EQ(hsts.max_age, seconds{365 * 24 * 3600});
  EXPECT_FALSE(hsts.include_subdomains);
  EXPECT_FALSE(hsts.preload);

  const ListenerTls other = listener_tls(load_tls_ok(
      "    tls: { cert: a.pem, key: a.key, hsts: false, resumption: { tickets: false } }\n"));
  EXPECT_FALSE(other.hsts.has_value());
  EXPECT_FALSE(other.resumption.tickets);
  EXPECT_TRUE(other.resumption.session_cache);
}

TEST(ListenerTlsTest, HstsMaxAgeUnits) {
  const auto max_age = [](std::string_view text) {
    const ListenerTls tls = listener_tls(load_tls_ok(
        fmt::format("    tls: {{ cert: a.pem, key: a.key, hsts: {{ max_age: {} }} }}\n", text)));
    return tls.hsts ? tls.hsts->max_age : seconds{-1};
  };
  EXPECT_EQ(max_age("180d"), seconds{180 * 24 * 3600});
  EXPECT_EQ(max_age("1y"), seconds{365 * 24 * 3600});
  EXPECT_EQ(max_age("12h"), seconds{12 * 3600});
  EXPECT_EQ(max_age("0s"), seconds{0});
  EXPECT_EQ(max_age("10y"), seconds{10LL * 365 * 24 * 3600});
}

TEST(ListenerTlsTest, CertificateMistakes) {
  EXPECT_THAT(tls_errors("    tls: { profile: modern }\n"),
              ElementsAre("t.yaml:4:10: tls: a TLS listener needs a certificate and its key\n"
                          "  hint: e.g. tls: { cert: site.pem, key: site.key }"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem }\n"),
              ElementsAre("t.yaml:4:10: tls: missing required key 'key'"));
  EXPECT_THAT(tls_errors("    tls: { certificates: [] }\n"),
              ElementsAre("t.yaml:4:26: certificates: a TLS listener needs at least one "
                          "certificate\n  hint: e.g. tls: { cert: site.pem, key: site.key }"));
  EXPECT_THAT(
      tls_errors("    tls: { key: a.key, certificates: [ { cert: a.pem, key: a.key } ] }\n"),
      ElementsAre("t.yaml:4:17: key: give certificates: [...] or one cert and key, not both\n"
                  "  hint: move it into an item of certificates"));
  EXPECT_THAT(tls_errors(R"(    tls:
      certificates:
        - { cert: a.pem, key: a.key, default: true }
        - { cert: b.pem, key: b.key, default: true, passphrase_env: A, passphrase_file: f }
        - { cert: "", key: c.key, passphrase_env: KEY-PASS }
        - { cert: c.pem, kee: c.key }
)"),
              ElementsAre("t.yaml:7:47: default: certificates[0] is the default already\n"
                          "  hint: one certificate is served when no name matches; mark only "
                          "that one",
                          "t.yaml:7:89: passphrase_file: give passphrase_env or passphrase_file, "
                          "not both",
                          "t.yaml:8:19: cert: the path is empty",
                          "t.yaml:8:51: passphrase_env: 'KEY-PASS' is not an environment "
                          "variable name\n  hint: write the variable's name (KEY_PASSPHRASE), "
                          "not ${KEY_PASSPHRASE} or its value",
                          "t.yaml:9:11: certificates[3]: missing required key 'key'",
                          "t.yaml:9:26: unknown key 'kee' in certificates[3]\n"
                          "  hint: did you mean 'key'?"));
}

TEST(ListenerTlsTest, PolicyMistakes) {
  EXPECT_THAT(
      tls_errors("    tls: { cert: a.pem, key: a.key, profile: old, protocols: [TLSv1.1, TLSv1, "
                 "TLSv1.3, TLSv1.3, TLS1.2] }\n"),
      ElementsAre("t.yaml:4:46: profile: unknown value 'old'\n"
                  "  hint: the choices are: modern, intermediate",
                  "t.yaml:4:63: protocols[0]: TLSv1.1 is refused: TLS 1.0 and 1.1 are not "
                  "supported\n  hint: RFC 8996 deprecates them; use TLSv1.2 and TLSv1.3",
                  "t.yaml:4:72: protocols[1]: TLSv1 is refused: TLS 1.0 and 1.1 are not "
                  "supported\n  hint: RFC 8996 deprecates them; use TLSv1.2 and TLSv1.3",
                  "t.yaml:4:88: protocols[3]: TLSv1.3 is listed twice",
                  "t.yaml:4:97: protocols[4]: unknown value 'TLS1.2'\n"
                  "  hint: did you mean 'TLSv1.2'? (the choices are: TLSv1.2, TLSv1.3)"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, protocols: [], groups: [] }\n"),
              ElementsAre("t.yaml:4:48: protocols: give at least one of TLSv1.2, TLSv1.3\n"
                          "  hint: leave it out to use the profile's",
                          "t.yaml:4:60: groups: give at least one group, e.g. [X25519, P-256]\n"
                          "  hint: leave it out to use the profile's"));
  EXPECT_THAT(
      tls_errors("    tls: { cert: a.pem, key: a.key, groups: [X25519, \"P 256\", X25519] }\n"),
      ElementsAre("t.yaml:4:54: groups[1]: 'P 256' is not a group name\n"
                  "  hint: e.g. X25519, P-256, P-384",
                  "t.yaml:4:63: groups[2]: X25519 is listed twice"));
  // modern is TLS 1.3 only: TLS 1.2 ciphers would never be used.
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, profile: modern, ciphers: AES }\n"),
              ElementsAre("t.yaml:4:63: ciphers: only TLSv1.2 uses it, and the policy leaves "
                          "TLSv1.2 out\n  hint: add TLSv1.2 to protocols, or remove ciphers"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, protocols: [TLSv1.2], "
                         "ciphersuites: X, ciphers: \"\" }\n"),
              ElementsAre("t.yaml:4:73: ciphersuites: only TLSv1.3 uses it, and the policy "
                          "leaves TLSv1.3 out\n  hint: add TLSv1.3 to protocols, or remove "
                          "ciphersuites",
                          "t.yaml:4:85: ciphers: the list is empty\n"
                          "  hint: leave it out to use the profile's"));
  // A protocols override brings TLS 1.2 back under modern.
  const ListenerTls tls = listener_tls(
      load_tls_ok("    tls: { cert: a.pem, key: a.key, profile: modern, protocols: [TLSv1.2, "
                  "TLSv1.3], ciphers: AES }\n"));
  EXPECT_EQ(tls.policy.ciphers, "AES");
}

TEST(ListenerTlsTest, ResumptionMistakes) {
  EXPECT_THAT(tls_errors(R"(    tls:
      cert: a.pem
      key: a.key
      resumption:
        tickets: false
        ticket_key_rotation: 500ms
        session_cache: false
        session_cache_size: 0
        session_lifetime: 8d
)"),
              ElementsAre("t.yaml:9:30: ticket_key_rotation: 500ms is out of range (from 1s to "
                          "168h)",
                          "t.yaml:9:30: ticket_key_rotation: tickets are off\n"
                          "  hint: remove it, or set tickets: true",
                          "t.yaml:11:29: session_cache_size: 0 is out of range (from 1 to "
                          "10000000)",
                          "t.yaml:11:29: session_cache_size: the session cache is off\n"
                          "  hint: remove it, or set session_cache: true",
                          "t.yaml:12:27: session_lifetime: unknown duration unit 'd' in '8d'\n"
                          "  hint: write days in hours, e.g. 24h"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, resumption: no }\n"),
              ElementsAre("t.yaml:4:49: resumption: expected a map or off, got 'no'\n"
                          "  hint: write off to turn it off"));
}

TEST(ListenerTlsTest, ClientCertificateMistakes) {
  EXPECT_THAT(
      tls_errors("    tls: { cert: a.pem, key: a.key, client_certificates: { mode: required } }\n"),
      ElementsAre("t.yaml:4:66: mode: required needs ca, the CAs client certificates must "
                  "chain to\n  hint: add ca: clients-ca.pem"));
  EXPECT_THAT(
      tls_errors("    tls: { cert: a.pem, key: a.key, client_certificates: { ca: ca.pem } }\n"),
      ElementsAre("t.yaml:4:58: client_certificates: missing required key 'mode'"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, client_certificates: { mode: off, "
                         "ca: ca.pem, verify_depth: 2 } }\n"),
              ElementsAre("t.yaml:4:75: ca: client certificates are off (mode: off)\n"
                          "  hint: set mode: optional or mode: required, or remove it",
                          "t.yaml:4:97: verify_depth: client certificates are off (mode: off)\n"
                          "  hint: set mode: optional or mode: required, or remove it"));
  EXPECT_THAT(tls_errors(R"(    tls:
      cert: a.pem
      key: a.key
      client_certificates:
        mode: mandatory
)"),
              ElementsAre("t.yaml:8:15: mode: unknown value 'mandatory'\n"
                          "  hint: the choices are: off, optional, required"));
  EXPECT_THAT(
      tls_errors(R"(    tls:
      cert: a.pem
      key: a.key
      client_certificates:
        mode: optional
        ca: ca.pem
        verify_depth: 0
        headers: { subject: "x subject", sans: connection, fingerprint: x-fp }
)"),
      ElementsAre("t.yaml:10:23: verify_depth: 0 is out of range (from 1 to 16)",
                  "t.yaml:11:29: subject: 'x subject' is not a header field name bulwark "
                  "can set\n  hint: e.g. x-client-cert-subject; write \"\" to not send it",
                  "t.yaml:11:48: sans: 'connection' is not a header field name bulwark "
                  "can set\n  hint: e.g. x-client-cert-subject; write \"\" to not send it"));
  // Lower-cased, so the default subject header collides whatever the spelling.
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, client_certificates: { mode: "
                         "optional, ca: c, headers: { fingerprint: X-Client-Cert-Subject } } }\n"),
              ElementsAre("t.yaml:4:107: fingerprint: x-client-cert-subject is the subject "
                          "header already\n  hint: each identity field needs its own header"));
}

TEST(ListenerTlsTest, HstsMistakes) {
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, hsts: { preload: true } }\n"),
              ElementsAre("t.yaml:4:54: preload: the preload list requires include_subdomains: "
                          "true\n  hint: see hstspreload.org"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, hsts: { max_age: 180d, "
                         "include_subdomains: true, preload: true } }\n"),
              ElementsAre("t.yaml:4:95: preload: the preload list requires a max_age of at "
                          "least 1y (365 days)\n  hint: see hstspreload.org"));
  EXPECT_THAT(tls_errors(R"(    tls:
      cert: a.pem
      key: a.key
      hsts: { max_age: 11y, include_subdomains: yes }
)"),
              ElementsAre("t.yaml:7:24: max_age: 11y is out of range (from 0s to 10y)",
                          "t.yaml:7:49: include_subdomains: expected true or false, got 'yes'\n"
                          "  hint: write true or false; YAML 1.2 readers take yes/no/on/off as "
                          "strings"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, hsts: { max_age: 1500ms } }\n"),
              ElementsAre("t.yaml:4:54: max_age: '1500ms' is not a whole number of seconds\n"
                          "  hint: Strict-Transport-Security counts seconds"));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key, hsts: { max_age: 1w } }\n"),
              ElementsAre("t.yaml:4:54: max_age: unknown duration unit 'w' in '1w'\n"
                          "  hint: e.g. 1y, 180d or 12h"));
}

TEST(ListenerTlsTest, UnknownKeyGetsASuggestion) {
  const std::vector<std::string> errors =
      tls_errors("    tls: { cert: a.pem, key: a.key, ciphersuite: X }\n");
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0],
            "t.yaml:4:37: unknown key 'ciphersuite' in tls\n  hint: did you mean 'ciphersuites'?");
}

TEST(RedirectToHttpsTest, TrueIsPort443AndAListenerWithoutVirtualHosts) {
  const LoadResult result = load_config_string(R"(listeners:
  - name: plain
    listen: 127.0.0.1:8080
    redirect_to_https: true
  - name: other
    listen: 127.0.0.1:8081
    redirect_to_https: 8443
clusters: []
)",
                                               "t.yaml");
  ASSERT_NE(result.config, nullptr) << formatted(result)[0];
  EXPECT_EQ(result.config->listeners[0].redirect_to_https, 443);
  EXPECT_TRUE(result.config->listeners[0].virtual_hosts.empty());
  EXPECT_EQ(result.config->listeners[1].redirect_to_https, 8443);
}

TEST(RedirectToHttpsTest, Mistakes) {
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key }\n    redirect_to_https: true\n"),
              ElementsAre("t.yaml:5:24: redirect_to_https: this listener speaks TLS already\n"
                          "  hint: put redirect_to_https on the plain HTTP listener (port 80)",
                          "t.yaml:7:7: virtual_hosts: a listener with redirect_to_https routes "
                          "nothing\n  hint: remove them, or remove redirect_to_https"));
  for (const std::string_view bad : {"false", "0", "65536", "https"}) {
    const LoadResult result = load_config_string(fmt::format(R"(listeners:
  - name: plain
    listen: 127.0.0.1:8080
    redirect_to_https: {}
clusters: []
)",
                                                             bad),
                                                 "t.yaml");
    EXPECT_THAT(formatted(result),
                ElementsAre(fmt::format("t.yaml:4:24: redirect_to_https: expected true or a port "
                                        "from 1 to 65535, got '{}'\n  hint: write true for port "
                                        "443, or the HTTPS port: 8443; leave it out for no "
                                        "redirect",
                                        bad)));
  }
}

TEST(RequireClientCertificateTest, NeedsAListenerThatAsksForCertificates) {
  constexpr std::string_view kRoute =
      "          - require_client_certificate: true\n"
      "            match: { prefix: /admin/ }\n"
      "            direct_response: { status: 204 }\n";
  const ConfigPtr config = load_tls_ok(
      "    tls: { cert: a.pem, key: a.key, client_certificates: { mode: optional, "
      "ca: ca.pem } }\n",
      kRoute);
  ASSERT_NE(config, nullptr);
  const std::vector<Route>& routes = config->listeners[0].virtual_hosts[0].routes;
  ASSERT_EQ(routes.size(), 2U);
  EXPECT_TRUE(routes[0].require_client_certificate);
  EXPECT_FALSE(routes[1].require_client_certificate);
  // Pointless with mode required, but allowed.
  EXPECT_NE(load_tls_ok("    tls: { cert: a.pem, key: a.key, client_certificates: { mode: "
                        "required, ca: ca.pem } }\n",
                        kRoute),
            nullptr);
  const std::string error =
      "t.yaml:7:41: require_client_certificate: listener 'web' does not ask clients for "
      "certificates\n  hint: give the listener tls: { client_certificates: { mode: optional, "
      "ca: FILE } }";
  EXPECT_THAT(tls_errors("", kRoute), ElementsAre(error));
  EXPECT_THAT(tls_errors("    tls: { cert: a.pem, key: a.key }\n", kRoute),
              ElementsAre("t.yaml:8:41: require_client_certificate: listener 'web' does not ask "
                          "clients for certificates\n  hint: give the listener tls: { "
                          "client_certificates: { mode: optional, ca: FILE } }"));
  EXPECT_THAT(tls_errors("",
                         "          - require_client_certificate: yes\n"
                         "            match: { prefix: /admin/ }\n"
                         "            direct_response: { status: 204 }\n"),
              ElementsAre("t.yaml:7:41: require_client_certificate: expected true or false, got "
                          "'yes'\n  hint: write true or false; YAML 1.2 readers take "
                          "yes/no/on/off as strings"));
}

TEST(UpstreamTlsTest, TrueGivesTheDefaults) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [backend:443]
    tls: true
)");
  ASSERT_NE(config, nullptr);
  ASSERT_TRUE(config->clusters[0].tls.has_value());
  const UpstreamTls tls = value_of(config->clusters[0].tls);
  EXPECT_TRUE(tls.verify);
  EXPECT_TRUE(tls.ca.empty());
  EXPECT_TRUE(tls.server_name.empty());
  EXPECT_TRUE(tls.cert.empty());
  EXPECT_EQ(tls.policy.profile, "intermediate");
  EXPECT_TRUE(tls.session_reuse);
  EXPECT_EQ(tls.mark.line, 4);

  const ConfigPtr plain = load_clusters_ok("  - name: a\n    endpoints: [b:80]\n    tls: false\n");
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->clusters[0].tls.has_value());
}

TEST(UpstreamTlsTest, ReadsEveryKey) {
  const ConfigPtr config = load_clusters_ok(R"(  - name: a
    endpoints: [10.0.0.1:443]
    tls:
      verify: true
      ca: ca.pem
      server_name: API.internal
      cert: client.pem
      key: client.key
      passphrase_env: CLIENT_KEY_PASS
      profile: modern
      protocols: [TLSv1.3]
      ciphersuites: TLS_AES_256_GCM_SHA384
      groups: [X25519]
      session_reuse: false
)",
                                            config_file());
  ASSERT_NE(config, nullptr);
  const UpstreamTls tls = value_of(config->clusters[0].tls);
  EXPECT_TRUE(tls.verify);
  EXPECT_EQ(tls.ca, in_directory("ca.pem"));
  EXPECT_EQ(tls.server_name, "api.internal");
  EXPECT_EQ(tls.cert, in_directory("client.pem"));
  EXPECT_EQ(tls.key, in_directory("client.key"));
  EXPECT_EQ(tls.passphrase.env, "CLIENT_KEY_PASS");
  EXPECT_EQ(tls.policy.profile, "modern");
  EXPECT_EQ(tls.policy.protocols, std::vector<std::string>{"TLSv1.3"});
  EXPECT_EQ(tls.policy.ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(tls.policy.groups, std::vector<std::string>{"X25519"});
  EXPECT_FALSE(tls.session_reuse);

  const ConfigPtr insecure =
      load_clusters_ok("  - name: a\n    endpoints: [b:443]\n    tls: { verify: false }\n");
  ASSERT_NE(insecure, nullptr);
  EXPECT_FALSE(value_of(insecure->clusters[0].tls).verify);
}

TEST(UpstreamTlsTest, Mistakes) {
  EXPECT_THAT(cluster_errors(R"(  - name: a
    endpoints: [b:443]
    tls:
      verify: false
      ca: ca.pem
      server_name: 10.0.0.1
      passphrase_file: p
      prefer_server_ciphers: true
)"),
              ElementsAre("t.yaml:6:11: ca: verify is false, so no CA is used\n"
                          "  hint: remove it, or verify the backends (verify: true)",
                          "t.yaml:7:20: server_name: '10.0.0.1' is not a DNS name\n"
                          "  hint: SNI carries a host name, not an address or port; leave it out "
                          "to send the endpoint's host name",
                          "t.yaml:8:24: passphrase_file: there is no client key to decrypt\n"
                          "  hint: add cert and key for a client certificate, or remove it",
                          "t.yaml:9:7: unknown key 'prefer_server_ciphers' in tls\n"
                          "  hint: the keys in tls are: verify, ca, server_name, cert, key, "
                          "passphrase_env, passphrase_file, profile, protocols, ciphers, "
                          "ciphersuites, groups, session_reuse"));
  EXPECT_THAT(cluster_errors("  - name: a\n    endpoints: [b:443]\n    tls: { cert: c.pem }\n"),
              ElementsAre("t.yaml:4:10: tls: missing required key 'key'"));
  EXPECT_THAT(cluster_errors("  - name: a\n    endpoints: [b:443]\n    tls: yes\n"),
              ElementsAre("t.yaml:4:10: tls: expected true or false, got 'yes'\n"
                          "  hint: write true or false; YAML 1.2 readers take yes/no/on/off as "
                          "strings"));
}

}  // namespace
}  // namespace bulwark::config
