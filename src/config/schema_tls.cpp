// tls: a listener's termination (certificates, policy, resumption, client certificates, HSTS)
// and a cluster's TLS to its backends; a listener's redirect_to_https and a route's
// require_client_certificate. Certificate and key files are not opened here: the loader's TLS
// check does that with OpenSSL, which also knows which ciphers and groups exist.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 2> kProfiles{"modern", "intermediate"};
constexpr std::array<std::string_view, 2> kProtocols{"TLSv1.2", "TLSv1.3"};
constexpr std::array<std::string_view, 3> kModes{"off", "optional", "required"};
constexpr std::array<std::string_view, 6> kCertificateKeys{
    "cert", "key", "passphrase_env", "passphrase_file", "ocsp_response", "default"};
constexpr std::string_view kCertificateHint = "e.g. tls: { cert: site.pem, key: site.key }";

constexpr std::chrono::seconds kDay{24 * 3600};
constexpr std::chrono::seconds kYear = 365 * kDay;  // as hstspreload.org counts one
constexpr std::chrono::seconds kMaxHstsAge = 10 * kYear;

// A file path. A relative one starts at the directory of the file that names it, so that a
// configuration and its certificates move together (as error pages do).
std::optional<std::string> read_path(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return std::nullopt;
  if (text->empty()) {
    reader.error(value.mark, fmt::format("{}: the path is empty", value.what));
    return std::nullopt;
  }
  std::filesystem::path path(*text);
  if (path.is_relative()) path = std::filesystem::path(reader.file()).parent_path() / path;
  return path.string();
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// passphrase_env or passphrase_file, those `map` has.
void read_passphrase(YamlReader& reader, const MapView& map, Passphrase& passphrase) {
  const std::optional<Value> env = map.get("passphrase_env");
  const std::optional<Value> file = map.get("passphrase_file");
  if (env && file) {
    reader.error(file->mark, "passphrase_file: give passphrase_env or passphrase_file, not both");
    return;
  }
  if (env) {
    std::optional<std::string> name = reader.string(*env);
    if (name && !is_env_name(*name)) {
      reader.error(
          env->mark, fmt::format("passphrase_env: '{}' is not an environment variable name", *name),
          "write the variable's name (KEY_PASSPHRASE), not ${KEY_PASSPHRASE} or its value");
    } else if (name) {
      passphrase.env = std::move(*name);
    }
  }
  if (file) {
    if (std::optional<std::string> path = read_path(reader, *file)) passphrase.file = *path;
  }
}

// The keys of one certificate, from a certificates: item or from the tls: map itself (one
// certificate, written without the list).
TlsCertificate read_certificate(YamlReader& reader, const MapView& map) {
  TlsCertificate certificate;
  certificate.mark = map.mark();
  if (std::optional<Value> cert = reader.require(map, "cert")) {
    if (std::optional<std::string> path = read_path(reader, *cert)) certificate.cert = *path;
  }
  if (std::optional<Value> key = reader.require(map, "key")) {
    if (std::optional<std::string> path = read_path(reader, *key)) certificate.key = *path;
  }
  read_passphrase(reader, map, certificate.passphrase);
  if (std::optional<Value> ocsp = map.get("ocsp_response")) {
    if (std::optional<std::string> path = read_path(reader, *ocsp)) {
      certificate.ocsp_response = *path;
    }
  }
  return certificate;
}

void read_certificate_list(YamlReader& reader, const Value& value, ListenerTls& tls) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, "certificates: a TLS listener needs at least one certificate",
                 std::string(kCertificateHint));
    return;
  }
  std::optional<std::size_t> default_index;
  for (const Value& item : *items) {
    std::optional<MapView> map = reader.map(item, kCertificateKeys);
    if (!map) continue;
    TlsCertificate certificate = read_certificate(reader, *map);
    if (std::optional<Value> flag = map->get("default")) {
      certificate.default_certificate = reader.boolean(*flag).value_or(false);
      if (certificate.default_certificate && default_index) {
        reader.error(
            flag->mark,
            fmt::format("default: certificates[{}] is the default already", *default_index),
            "one certificate is served when no name matches; mark only that one");
        certificate.default_certificate = false;
      } else if (certificate.default_certificate) {
        default_index = tls.certificates.size();
      }
    }
    tls.certificates.push_back(std::move(certificate));
  }
}

// The protocol versions the policy ends up with: its own list, else its profile's.
std::vector<std::string_view> effective_protocols(const TlsPolicy& policy) {
  if (!policy.protocols.empty()) {
    return {policy.protocols.begin(), policy.protocols.end()};
  }
  if (policy.profile == "modern") return {"TLSv1.3"};
  return {kProtocols.begin(), kProtocols.end()};
}

void read_protocols(YamlReader& reader, const Value& value, TlsPolicy& policy) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, "protocols: give at least one of TLSv1.2, TLSv1.3",
                 "leave it out to use the profile's");
    return;
  }
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) continue;
    if (*text == "TLSv1" || *text == "TLSv1.0" || *text == "TLSv1.1" || text->starts_with("SSL")) {
      reader.error(
          item.mark,
          fmt::format("{}: {} is refused: TLS 1.0 and 1.1 are not supported", item.what, *text),
          "RFC 8996 deprecates them; use TLSv1.2 and TLSv1.3");
      continue;
    }
    std::optional<std::size_t> index = reader.choice(item, kProtocols);
    if (!index) continue;
    const std::string name(kProtocols[*index]);
    if (std::ranges::find(policy.protocols, name) != policy.protocols.end()) {
      reader.error(item.mark, fmt::format("{}: {} is listed twice", item.what, name));
      continue;
    }
    policy.protocols.push_back(name);
  }
}

void read_groups(YamlReader& reader, const Value& value, TlsPolicy& policy) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, "groups: give at least one group, e.g. [X25519, P-256]",
                 "leave it out to use the profile's");
    return;
  }
  for (const Value& item : *items) {
    std::optional<std::string> name = reader.string(item);
    if (!name) continue;
    const bool plain = !name->empty() && std::ranges::all_of(*name, [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    });
    if (!plain) {
      reader.error(item.mark, fmt::format("{}: '{}' is not a group name", item.what, *name),
                   "e.g. X25519, P-256, P-384");
    } else if (std::ranges::find(policy.groups, *name) != policy.groups.end()) {
      reader.error(item.mark, fmt::format("{}: {} is listed twice", item.what, *name));
    } else {
      policy.groups.push_back(std::move(*name));
    }
  }
}

// A cipher list for the protocol version `version`, which the policy must enable.
void read_cipher_list(YamlReader& reader, const Value& value, const TlsPolicy& policy,
                      std::string_view version, std::string& out) {
  std::optional<std::string> text = reader.string(value);
  if (!text) return;
  if (text->empty()) {
    reader.error(value.mark, fmt::format("{}: the list is empty", value.what),
                 "leave it out to use the profile's");
    return;
  }
  const std::vector<std::string_view> enabled = effective_protocols(policy);
  if (std::ranges::find(enabled, version) == enabled.end()) {
    reader.error(value.mark,
                 fmt::format("{}: only {} uses it, and the policy leaves {} out", value.what,
                             version, version),
                 fmt::format("add {} to protocols, or remove {}", version, value.what));
    return;
  }
  out = std::move(*text);
}

// profile, protocols, ciphers, ciphersuites and groups, those `map` has.
void read_policy(YamlReader& reader, const MapView& map, TlsPolicy& policy) {
  if (std::optional<Value> profile = map.get("profile")) {
    if (auto index = reader.choice(*profile, kProfiles)) {
      policy.profile = std::string(kProfiles[*index]);
    }
  }
  if (std::optional<Value> protocols = map.get("protocols")) {
    read_protocols(reader, *protocols, policy);
  }
  if (std::optional<Value> ciphers = map.get("ciphers")) {
    read_cipher_list(reader, *ciphers, policy, "TLSv1.2", policy.ciphers);
  }
  if (std::optional<Value> suites = map.get("ciphersuites")) {
    read_cipher_list(reader, *suites, policy, "TLSv1.3", policy.ciphersuites);
  }
  if (std::optional<Value> groups = map.get("groups")) read_groups(reader, *groups, policy);
}

// A key that only makes sense when `on`; reported at the key otherwise.
void check_used(YamlReader& reader, const MapView& map, std::string_view key, bool on,
                std::string_view why, std::string_view hint) {
  if (on) return;
  if (std::optional<Value> given = map.get(key)) {
    reader.error(given->mark, fmt::format("{}: {}", key, why), std::string(hint));
  }
}

void read_resumption(YamlReader& reader, const Value& value, TlsResumption& resumption) {
  static constexpr std::array<std::string_view, 5> kKeys{
      "tickets", "ticket_key_rotation", "session_cache", "session_cache_size", "session_lifetime"};
  bool off = false;
  std::optional<MapView> map = read_map_or_off(reader, value, kKeys, off);
  if (off) {
    resumption.tickets = false;
    resumption.session_cache = false;
  }
  if (!map) return;
  if (std::optional<Value> tickets = map->get("tickets")) {
    resumption.tickets = reader.boolean(*tickets).value_or(resumption.tickets);
  }
  if (std::optional<Value> rotation = map->get("ticket_key_rotation")) {
    // Down to a second, so that tests can watch keys rotate; in production hours are usual.
    if (auto d = reader.duration(*rotation, Duration{1'000}, Duration{7LL * 24 * 3'600'000})) {
      resumption.ticket_key_rotation = *d;
    }
  }
  if (std::optional<Value> cache = map->get("session_cache")) {
    resumption.session_cache = reader.boolean(*cache).value_or(resumption.session_cache);
  }
  if (std::optional<Value> size = map->get("session_cache_size")) {
    if (auto count = reader.integer(*size, 1, 10'000'000)) resumption.session_cache_size = *count;
  }
  if (std::optional<Value> lifetime = map->get("session_lifetime")) {
    // RFC 8446 §4.6.1: a ticket lives at most seven days.
    if (auto d = reader.duration(*lifetime, Duration{1'000}, Duration{7LL * 24 * 3'600'000})) {
      resumption.session_lifetime = *d;
    }
  }
  check_used(reader, *map, "ticket_key_rotation", resumption.tickets, "tickets are off",
             "remove it, or set tickets: true");
  check_used(reader, *map, "session_cache_size", resumption.session_cache,
             "the session cache is off", "remove it, or set session_cache: true");
}

// The names of the identity headers: a token (stored lower case), or "" for none.
void read_identity_headers(YamlReader& reader, const Value& value, ClientCertificates& client) {
  static constexpr std::array<std::string_view, 3> kKeys{"subject", "sans", "fingerprint"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  const std::array<std::string*, 3> targets{&client.subject_header, &client.sans_header,
                                            &client.fingerprint_header};
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    std::optional<Value> field = map->get(kKeys[i]);
    if (!field) continue;
    std::optional<std::string> name = reader.string(*field);
    if (!name) continue;
    if (name->empty()) {
      targets[i]->clear();
      continue;
    }
    if (!is_token(*name) || is_managed_header(*name)) {
      reader.error(
          field->mark,
          fmt::format("{}: '{}' is not a header field name bulwark can set", kKeys[i], *name),
          "e.g. x-client-cert-subject; write \"\" to not send it");
      continue;
    }
    *targets[i] = to_lower(std::move(*name));
    for (std::size_t j = 0; j < i; ++j) {
      if (*targets[j] == *targets[i]) {
        reader.error(
            field->mark,
            fmt::format("{}: {} is the {} header already", kKeys[i], *targets[i], kKeys[j]),
            "each identity field needs its own header");
      }
    }
  }
}

void read_client_certificates(YamlReader& reader, const Value& value, ClientCertificates& client) {
  static constexpr std::array<std::string_view, 5> kKeys{"mode", "ca", "crl", "verify_depth",
                                                         "headers"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  std::optional<Value> mode = reader.require(*map, "mode");
  if (!mode) return;
  std::optional<std::size_t> index = reader.choice(*mode, kModes);
  if (!index) return;
  client.mode = static_cast<ClientCertificates::Mode>(*index);
  const bool on = client.mode != ClientCertificates::Mode::kOff;
  for (const std::string_view key : {"ca", "crl", "verify_depth", "headers"}) {
    check_used(reader, *map, key, on, "client certificates are off (mode: off)",
               "set mode: optional or mode: required, or remove it");
  }
  if (!on) return;
  if (std::optional<Value> ca = map->get("ca")) {
    if (std::optional<std::string> path = read_path(reader, *ca)) client.ca = *path;
  } else {
    reader.error(
        mode->mark,
        fmt::format("mode: {} needs ca, the CAs client certificates must chain to", kModes[*index]),
        "add ca: clients-ca.pem");
  }
  if (std::optional<Value> crl = map->get("crl")) {
    if (std::optional<std::string> path = read_path(reader, *crl)) client.crl = *path;
  }
  if (std::optional<Value> depth = map->get("verify_depth")) {
    if (auto count = reader.integer(*depth, 1, 16)) client.verify_depth = static_cast<int>(*count);
  }
  if (std::optional<Value> headers = map->get("headers")) {
    read_identity_headers(reader, *headers, client);
  }
}

// A duration, or whole days ("365d") and years of 365 days ("1y"): HSTS ages run to years.
std::optional<std::chrono::seconds> read_max_age(YamlReader& reader, const Value& value) {
  std::optional<std::string> text = reader.scalar(value, "a duration such as 1y");
  if (!text) return std::nullopt;
  std::optional<std::chrono::seconds> age;
  if (text->ends_with('d') || text->ends_with('y')) {
    const std::chrono::seconds unit = text->ends_with('y') ? kYear : kDay;
    auto count = parse_decimal(std::string_view(*text).substr(0, text->size() - 1));
    if (!count) {
      reader.error(value.mark, fmt::format("max_age: {}", count.error().message),
                   "e.g. 1y, 180d or 12h");
      return std::nullopt;
    }
    if (*count <= static_cast<std::uint64_t>(kMaxHstsAge / unit)) {
      age = unit * static_cast<std::int64_t>(*count);
    }
  } else {
    auto parsed = parse_duration(*text);
    if (!parsed) {
      reader.error(value.mark, fmt::format("max_age: {}", parsed.error().message),
                   "e.g. 1y, 180d or 12h");
      return std::nullopt;
    }
    if (parsed->count() % 1000 != 0) {
      reader.error(value.mark, fmt::format("max_age: '{}' is not a whole number of seconds", *text),
                   "Strict-Transport-Security counts seconds");
      return std::nullopt;
    }
    if (*parsed <= kMaxHstsAge) age = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
  }
  if (!age) {
    reader.error(value.mark, fmt::format("max_age: {} is out of range (from 0s to 10y)", *text));
  }
  return age;
}

std::optional<Hsts> read_hsts(YamlReader& reader, const Value& value) {
  if (value.node.IsScalar()) {
    std::optional<bool> on = reader.boolean(value);
    if (!on || !*on) return std::nullopt;
    return Hsts{};
  }
  static constexpr std::array<std::string_view, 3> kKeys{"max_age", "include_subdomains",
                                                         "preload"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  Hsts hsts;
  if (std::optional<Value> max_age = map->get("max_age")) {
    hsts.max_age = read_max_age(reader, *max_age).value_or(hsts.max_age);
  }
  if (std::optional<Value> subdomains = map->get("include_subdomains")) {
    hsts.include_subdomains = reader.boolean(*subdomains).value_or(false);
  }
  if (std::optional<Value> preload = map->get("preload")) {
    hsts.preload = reader.boolean(*preload).value_or(false);
    // hstspreload.org refuses a domain whose header lacks either.
    if (hsts.preload && !hsts.include_subdomains) {
      reader.error(preload->mark, "preload: the preload list requires include_subdomains: true",
                   "see hstspreload.org");
    }
    if (hsts.preload && hsts.max_age < kYear) {
      reader.error(preload->mark,
                   "preload: the preload list requires a max_age of at least 1y (365 days)",
                   "see hstspreload.org");
    }
  }
  return hsts;
}

// A DNS name for SNI: letters, digits, '-' and '.', not an IP address (RFC 6066 §3).
bool is_sni_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.size() > 253) return false;
  const bool chars_ok = std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  const bool all_digits = name.find_first_not_of("0123456789.") == std::string_view::npos;
  return chars_ok && !all_digits && name.find("..") == std::string_view::npos;
}

}  // namespace

std::optional<ListenerTls> read_listener_tls(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 15> kKeys{"certificates",
                                                          "cert",
                                                          "key",
                                                          "passphrase_env",
                                                          "passphrase_file",
                                                          "ocsp_response",
                                                          "profile",
                                                          "protocols",
                                                          "ciphers",
                                                          "ciphersuites",
                                                          "groups",
                                                          "prefer_server_ciphers",
                                                          "resumption",
                                                          "client_certificates",
                                                          "hsts"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  ListenerTls tls;
  tls.mark = value.mark;
  // One certificate may be written in the tls: map itself; several need the list.
  std::optional<Value> shorthand;
  for (const std::string_view key :
       {"cert", "key", "passphrase_env", "passphrase_file", "ocsp_response"}) {
    if (!shorthand) shorthand = map->get(key);
  }
  if (std::optional<Value> list = map->get("certificates")) {
    if (shorthand) {
      reader.error(shorthand->mark,
                   fmt::format("{}: give certificates: [...] or one cert and key, not both",
                               shorthand->what),
                   "move it into an item of certificates");
    }
    read_certificate_list(reader, *list, tls);
  } else if (shorthand) {
    tls.certificates.push_back(read_certificate(reader, *map));
  } else {
    reader.error(value.mark, "tls: a TLS listener needs a certificate and its key",
                 std::string(kCertificateHint));
  }
  read_policy(reader, *map, tls.policy);
  if (std::optional<Value> prefer = map->get("prefer_server_ciphers")) {
    tls.policy.prefer_server_ciphers = reader.boolean(*prefer).value_or(true);
  }
  if (std::optional<Value> resumption = map->get("resumption")) {
    read_resumption(reader, *resumption, tls.resumption);
  }
  if (std::optional<Value> client = map->get("client_certificates")) {
    read_client_certificates(reader, *client, tls.client_certificates);
  }
  if (std::optional<Value> hsts = map->get("hsts")) tls.hsts = read_hsts(reader, *hsts);
  // Kept with what could be read, so that routes are checked against it; the config is refused
  // anyway when something was wrong.
  return tls;
}

std::optional<UpstreamTls> read_upstream_tls(YamlReader& reader, const Value& value) {
  if (value.node.IsScalar()) {
    std::optional<bool> on = reader.boolean(value);
    if (!on || !*on) return std::nullopt;
    return UpstreamTls{.mark = value.mark};
  }
  static constexpr std::array<std::string_view, 13> kKeys{
      "verify",          "ca",      "server_name", "cert",    "key",          "passphrase_env",
      "passphrase_file", "profile", "protocols",   "ciphers", "ciphersuites", "groups",
      "session_reuse"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  UpstreamTls tls{.mark = value.mark};
  if (std::optional<Value> verify = map->get("verify")) {
    tls.verify = reader.boolean(*verify).value_or(true);
  }
  check_used(reader, *map, "ca", tls.verify, "verify is false, so no CA is used",
             "remove it, or verify the backends (verify: true)");
  if (std::optional<Value> ca = map->get("ca"); ca && tls.verify) {
    if (std::optional<std::string> path = read_path(reader, *ca)) tls.ca = *path;
  }
  if (std::optional<Value> server_name = map->get("server_name")) {
    if (std::optional<std::string> text = reader.string(*server_name)) {
      std::string name = to_lower(*text);
      if (is_sni_name(name)) {
        tls.server_name = std::move(name);
      } else {
        reader.error(server_name->mark, fmt::format("server_name: '{}' is not a DNS name", *text),
                     "SNI carries a host name, not an address or port; leave it out to send the "
                     "endpoint's host name");
      }
    }
  }
  const std::optional<Value> cert = map->get("cert");
  const std::optional<Value> key = map->get("key");
  if (cert || key) {
    // A client certificate: both halves, as for a listener's.
    const TlsCertificate client = read_certificate(reader, *map);
    tls.cert = client.cert;
    tls.key = client.key;
    tls.passphrase = client.passphrase;
  } else {
    for (const std::string_view passphrase : {"passphrase_env", "passphrase_file"}) {
      check_used(reader, *map, passphrase, false, "there is no client key to decrypt",
                 "add cert and key for a client certificate, or remove it");
    }
  }
  read_policy(reader, *map, tls.policy);
  if (std::optional<Value> reuse = map->get("session_reuse")) {
    tls.session_reuse = reader.boolean(*reuse).value_or(true);
  }
  return tls;
}

std::optional<std::uint16_t> read_redirect_to_https(YamlReader& reader, const Value& value,
                                                    bool has_tls) {
  constexpr std::string_view kHint =
      "write true for port 443, or the HTTPS port: 8443; leave it out for no redirect";
  std::optional<std::string> text = reader.scalar(value, "true or a port");
  if (!text) return std::nullopt;
  std::optional<std::uint16_t> port;
  if (*text == "true") {
    port = 443;
  } else if (auto number = parse_decimal(*text); number && *number >= 1 && *number <= 65'535) {
    port = static_cast<std::uint16_t>(*number);
  } else {
    reader.error(
        value.mark,
        fmt::format("redirect_to_https: expected true or a port from 1 to 65535, got '{}'", *text),
        std::string(kHint));
    return std::nullopt;
  }
  if (has_tls) {
    reader.error(value.mark, "redirect_to_https: this listener speaks TLS already",
                 "put redirect_to_https on the plain HTTP listener (port 80)");
    return std::nullopt;
  }
  return port;
}

void read_require_client_certificate(YamlReader& reader, const Value& value,
                                     const Listener& listener, Route& route) {
  std::optional<bool> required = reader.boolean(value);
  if (!required || !*required) return;
  if (!listener.tls || listener.tls->client_certificates.mode == ClientCertificates::Mode::kOff) {
    reader.error(value.mark,
                 fmt::format("require_client_certificate: listener '{}' does not ask clients for "
                             "certificates",
                             listener.name),
                 "give the listener tls: { client_certificates: { mode: optional, ca: FILE } }");
    return;
  }
  route.require_client_certificate = true;
}

}  // namespace bulwark::config::schema
