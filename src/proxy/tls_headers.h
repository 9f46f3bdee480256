#pragma once
// The headers TLS termination adds to messages: the verified client certificate's identity on
// requests to backends, Strict-Transport-Security on responses, and the Location that sends a
// plain-HTTP request to its HTTPS address.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/tls.h"
#include "http/header_map.h"
#include "net/tls/client_identity.h"

namespace bulwark::proxy {

// Removes the client-certificate headers a client sent itself (their names from `names`, or the
// default names on a listener without client certificates, so that no listener lets a client
// forge an identity), then sets those of `identity` when a verified certificate gave one.
// `names` and `identity` must outlive the headers (they keep views of them).
void set_client_certificate_headers(http::HeaderMap& headers,
                                    const config::ClientCertificates& names,
                                    const net::tls::ClientIdentity* identity);

// "max-age=31536000; includeSubDomains; preload".
std::string hsts_value(const config::Hsts& hsts);

// https://HOST[:PORT]TARGET for a request that arrived over plain HTTP (`host` as the client sent
// it, with or without its port; 443 is left out). nullopt when the host is empty.
std::optional<std::string> https_location(std::string_view host, std::uint16_t port,
                                          std::string_view target);

}  // namespace bulwark::proxy
