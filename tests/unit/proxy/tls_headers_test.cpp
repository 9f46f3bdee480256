#include "proxy/tls_headers.h"

#include <gtest/gtest.h>

namespace bulwark::proxy {
namespace {

TEST(HttpsLocation, DropsThePlainPortAndKeepsTheTarget) {
  EXPECT_EQ(https_location("example.com:8080", 443, "/a?b=1"), "https://example.com/a?b=1");
  EXPECT_EQ(https_location("example.com", 443, "/"), "https://example.com/");
  EXPECT_EQ(https_location("example.com", 8443, "/x"), "https://example.com:8443/x");
}

TEST(HttpsLocation, KeepsIpv6Brackets) {
  EXPECT_EQ(https_location("[::1]:80", 443, "/"), "https://[::1]/");
  EXPECT_EQ(https_location("[::1]", 8443, "/"), "https://[::1]:8443/");
}

TEST(HttpsLocation, NeedsAHost) {
  EXPECT_EQ(https_location("", 443, "/"), std::nullopt);
  EXPECT_EQ(https_location(":80", 443, "/"), std::nullopt);
}

TEST(HstsValue, ListsTheDirectivesThatAreOn) {
  EXPECT_EQ(hsts_value({}), "max-age=31536000");
  EXPECT_EQ(hsts_value({.max_age = std::chrono::seconds{600}, .include_subdomains = true}),
            "max-age=600; includeSubDomains");
  EXPECT_EQ(hsts_value({.include_subdomains = true, .preload = true}),
            "max-age=31536000; includeSubDomains; preload");
}

TEST(ClientCertificateHeaders, ForgedCopiesGoAndTheVerifiedIdentityComes) {
  http::HeaderMap headers;
  headers.add("x-client-cert-subject", "CN=admin");
  headers.add("X-Client-Cert-Subject", "CN=root");
  headers.add("x-client-cert-fingerprint", "00");
  headers.add("accept", "*/*");
  const net::tls::ClientIdentity alice{
      .subject = "CN=alice", .sans = "DNS:alice.example", .fingerprint = "ab"};
  const config::ClientCertificates names;  // the headers keep views of the names
  set_client_certificate_headers(headers, names, &alice);
  EXPECT_EQ(headers.get("x-client-cert-subject"), "CN=alice");
  EXPECT_EQ(headers.get("x-client-cert-san"), "DNS:alice.example");
  EXPECT_EQ(headers.get("x-client-cert-fingerprint"), "ab");
  EXPECT_EQ(headers.get("accept"), "*/*");
  std::size_t subjects = 0;
  for (const http::HeaderField& field : headers)
    subjects += field.name == "x-client-cert-subject";
  EXPECT_EQ(subjects, 1U);
}

TEST(ClientCertificateHeaders, WithoutIdentityOnlyRemoves) {
  http::HeaderMap headers;
  headers.add("x-client-cert-subject", "CN=admin");
  const config::ClientCertificates names;
  set_client_certificate_headers(headers, names, nullptr);
  EXPECT_FALSE(headers.has("x-client-cert-subject"));
}

TEST(ClientCertificateHeaders, EmptyNamesAreNotSentAndConfiguredNamesAreStripped) {
  http::HeaderMap headers;
  headers.add("ssl-client-dn", "CN=admin");
  config::ClientCertificates names;
  names.subject_header = "ssl-client-dn";
  names.sans_header.clear();
  const net::tls::ClientIdentity alice{.subject = "CN=alice", .sans = "DNS:a", .fingerprint = "ab"};
  set_client_certificate_headers(headers, names, &alice);
  EXPECT_EQ(headers.get("ssl-client-dn"), "CN=alice");
  EXPECT_FALSE(headers.has("x-client-cert-san"));
}

}  // namespace
}  // namespace bulwark::proxy
