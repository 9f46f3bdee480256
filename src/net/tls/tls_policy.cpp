#include "net/tls/tls_policy.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls {
namespace {

struct Profile {
  std::string_view name;
  int min_version;
  int max_version;
  const char* ciphers;       // TLS 1.2
  const char* ciphersuites;  // TLS 1.3
  const char* groups;
};

// Mozilla's intermediate TLS 1.2 list. The DHE suites use OpenSSL's built-in groups sized to the
// certificate (SSL_CTX_set_dh_auto). The modern profile keeps it for a listener that turns
// TLS 1.2 back on with `protocols`.
constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* kSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";

constexpr std::array kProfiles{
    Profile{"modern", TLS1_3_VERSION, TLS1_3_VERSION, kIntermediateCiphers, kSuites, kGroups},
    Profile{"intermediate", TLS1_2_VERSION, TLS1_3_VERSION, kIntermediateCiphers, kSuites, kGroups},
};

const Profile* find_profile(std::string_view name) {
  const auto* found = std::ranges::find(kProfiles, name, &Profile::name);
  return found == kProfiles.end() ? nullptr : found;
}

// The versions `protocols` spans, or false with `error`.
bool versions_of(const std::vector<std::string>& protocols, int& min_version, int& max_version,
                 std::string& error) {
  min_version = TLS1_3_VERSION;
  max_version = TLS1_2_VERSION;
  for (const std::string& protocol : protocols) {
    int version = 0;
    if (protocol == "TLSv1.2") {
      version = TLS1_2_VERSION;
    } else if (protocol == "TLSv1.3") {
      version = TLS1_3_VERSION;
    } else if (protocol == "TLSv1" || protocol == "TLSv1.0" || protocol == "TLSv1.1" ||
               protocol.starts_with("SSL")) {
      error = "protocol " + protocol + " is not supported: TLSv1.2 is the oldest allowed";
      return false;
    } else {
      error = "unknown protocol \"" + protocol + "\" (TLSv1.2, TLSv1.3)";
      return false;
    }
    min_version = std::min(min_version, version);
    max_version = std::max(max_version, version);
  }
  return true;
}

// OpenSSL's names for the groups as the configuration may spell them.
std::string groups_list(const std::vector<std::string>& groups) {
  std::string list;
  for (const std::string& group : groups) {
    if (!list.empty()) list += ':';
    if (group == "P-256") {
      list += "prime256v1";
    } else if (group == "P-384") {
      list += "secp384r1";
    } else if (group == "P-521") {
      list += "secp521r1";
    } else {
      list += group;
    }
  }
  return list;
}

}  // namespace

bool is_known_profile(const std::string& name) {
  return find_profile(name) != nullptr;
}

bool apply_policy(SSL_CTX* context, const config::TlsPolicy& policy, std::string& error) {
  const Profile* profile = find_profile(policy.profile);
  if (profile == nullptr) {
    error = "unknown TLS profile \"" + policy.profile + "\" (modern, intermediate)";
    return false;
  }
  int min_version = profile->min_version;
  int max_version = profile->max_version;
  if (!policy.protocols.empty() &&
      !versions_of(policy.protocols, min_version, max_version, error)) {
    return false;
  }
  if (SSL_CTX_set_min_proto_version(context, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(context, max_version) != 1) {
    error = "cannot set the protocol versions: " + take_openssl_errors();
    return false;
  }
  const std::string ciphers = policy.ciphers.empty() ? profile->ciphers : policy.ciphers;
  if (SSL_CTX_set_cipher_list(context, ciphers.c_str()) != 1) {
    ERR_clear_error();
    error = "no usable TLS 1.2 cipher in \"" + ciphers + "\"";
    return false;
  }
  const std::string suites =
      policy.ciphersuites.empty() ? profile->ciphersuites : policy.ciphersuites;
  if (SSL_CTX_set_ciphersuites(context, suites.c_str()) != 1) {
    ERR_clear_error();
    error = "unknown TLS 1.3 cipher suite in \"" + suites + "\"";
    return false;
  }
  const std::string groups = policy.groups.empty() ? profile->groups : groups_list(policy.groups);
  if (SSL_CTX_set1_groups_list(context, groups.c_str()) != 1) {
    ERR_clear_error();
    error = "unknown group in \"" + groups + "\"";
    return false;
  }
  SSL_CTX_set_dh_auto(context, 1);

  std::uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
  options |= SSL_OP_NO_CLIENT_RENEGOTIATION;
#endif
  if (policy.prefer_server_ciphers) {
    options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  } else {
    SSL_CTX_clear_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  SSL_CTX_set_options(context, options);
  // 0-RTT data can be replayed; a proxy cannot know which requests are safe to replay.
  SSL_CTX_set_max_early_data(context, 0);
  SSL_CTX_set_recv_max_early_data(context, 0);
  // Buffers stay allocated (SSL_MODE_RELEASE_BUFFERS off): a busy connection would otherwise
  // reallocate them at every record.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return true;
}

}  // namespace bulwark::net::tls
