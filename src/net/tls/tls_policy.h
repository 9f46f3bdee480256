#pragma once
// Protocol versions, ciphers and groups, from a named profile (Mozilla's server-side TLS
// guidelines, version 5.7) and the overrides next to it.

#include <openssl/ssl.h>

#include <string>

#include "config/tls.h"

namespace bulwark::net::tls {

// Applies `policy` to `context`: minimum and maximum version, TLS 1.2 ciphers, TLS 1.3 suites,
// groups, server preference, and the options every context gets (no compression, no
// renegotiation, no 0-RTT early data). False with `error` naming what OpenSSL refused (an unknown
// profile, protocol, cipher or group).
bool apply_policy(SSL_CTX* context, const config::TlsPolicy& policy, std::string& error);

// Whether `name` is a profile apply_policy knows ("modern", "intermediate").
bool is_known_profile(const std::string& name);

}  // namespace bulwark::net::tls
