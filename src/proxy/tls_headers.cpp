#include "proxy/tls_headers.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace bulwark::proxy {

void set_client_certificate_headers(http::HeaderMap& headers,
                                    const config::ClientCertificates& names,
                                    const net::tls::ClientIdentity* identity) {
  const std::pair<const std::string*, const std::string*> fields[] = {
      {&names.subject_header, identity != nullptr ? &identity->subject : nullptr},
      {&names.sans_header, identity != nullptr ? &identity->sans : nullptr},
      {&names.fingerprint_header, identity != nullptr ? &identity->fingerprint : nullptr},
  };
  // One pass over the request's fields for all three names: this runs for every proxied request.
  headers.remove_if([&fields](const http::HeaderField& field) {
    return std::any_of(std::begin(fields), std::end(fields), [&field](const auto& named) {
      return !named.first->empty() && http::iequals(field.name, *named.first);
    });
  });
  if (identity == nullptr) return;
  for (const auto& [name, value] : fields) {
    if (!name->empty() && !value->empty()) headers.add(*name, *value);
  }
}

std::string hsts_value(const config::Hsts& hsts) {
  std::string value = fmt::format("max-age={}", hsts.max_age.count());
  if (hsts.include_subdomains) value += "; includeSubDomains";
  if (hsts.preload) value += "; preload";
  return value;
}

std::optional<std::string> https_location(std::string_view host, std::uint16_t port,
                                          std::string_view target) {
  // The port the client used for plain HTTP says nothing about HTTPS: drop it. An IPv6 literal
  // keeps its brackets.
  const std::size_t bracket = host.rfind(']');
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return std::nullopt;
  if (port == 443) return fmt::format("https://{}{}", host, target);
  return fmt::format("https://{}:{}{}", host, port, target);
}

}  // namespace bulwark::proxy
