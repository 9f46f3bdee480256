#include "config/quick_config.h"

#include <fmt/format.h>

#include "config/schema.h"
#include "config/units.h"

namespace bulwark::config {
namespace {

constexpr std::string_view kSource = "command line";
constexpr unsigned kMaxWorkers = 1024;

Diagnostic problem(std::string message, std::string hint = {}) {
  return Diagnostic{SourceMark{std::string(kSource), 0, 0}, std::move(message), std::move(hint)};
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != prefix[i]) return false;
  }
  return true;
}

// http[s]://HOST[:PORT][/] -> HOST:PORT (port 80 or 443 when absent) and whether it is https.
// Anything a backend address cannot express (path, query, credentials) is refused rather than
// silently dropped.
bool parse_backend_url(std::string_view url, net::HostPort& out, bool& https,
                       std::vector<Diagnostic>& errors) {
  const auto fail = [&](std::string message, std::string hint = {}) {
    errors.push_back(problem(fmt::format("--to '{}': {}", url, message), std::move(hint)));
    return false;
  };
  https = starts_with_ignoring_case(url, "https://");
  if (!https && !starts_with_ignoring_case(url, "http://")) {
    return fail("expected http://HOST[:PORT] or https://HOST[:PORT]",
                fmt::format("e.g. --to http://{}", url));
  }
  std::string_view authority = url.substr(https ? 8 : 7);
  if (authority.ends_with('/')) authority.remove_suffix(1);  // "http://host/" means no path
  const std::size_t end = authority.find_first_of("/?#");
  if (end != std::string_view::npos) {
    return fail("a path, query or fragment is not supported here",
                "give only the scheme, host and port: bulwark forwards the request's own path");
  }
  if (authority.find('@') != std::string_view::npos) return fail("credentials are not supported");
  if (authority.empty()) return fail("the host is empty");
  // Add the default port when none is written: after "]" for IPv6, otherwise when no ':' at all.
  std::string with_port(authority);
  const bool bracketed = authority.starts_with('[');
  if ((bracketed && authority.ends_with(']')) ||
      (!bracketed && authority.find(':') == std::string_view::npos)) {
    with_port += https ? ":443" : ":80";
  }
  std::string_view error;
  if (!net::parse_host_port(with_port, out, error)) return fail(std::string(error));
  return true;
}

// --tls-cert, --tls-key and --tls-resumption.
void read_quick_tls(const QuickOptions& options, Listener& listener,
                    std::vector<Diagnostic>& errors) {
  const bool resumption_on = options.tls_resumption.empty() || options.tls_resumption == "on";
  if (!resumption_on && options.tls_resumption != "off") {
    errors.push_back(
        problem(fmt::format("--tls-resumption '{}': expected on or off", options.tls_resumption)));
  }
  if (options.tls_cert.empty() && options.tls_key.empty()) {
    if (!options.tls_resumption.empty()) {
      errors.push_back(problem("--tls-resumption needs --tls-cert and --tls-key"));
    }
    return;
  }
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    errors.push_back(problem("--tls-cert and --tls-key go together",
                             "give the certificate chain and its private key"));
    return;
  }
  ListenerTls tls;
  tls.certificates.push_back(
      TlsCertificate{.cert = options.tls_cert, .key = options.tls_key, .mark = listener.mark});
  tls.policy.profile = "modern";
  tls.resumption.tickets = resumption_on;
  tls.resumption.session_cache = resumption_on;
  tls.mark = listener.mark;
  listener.tls = std::move(tls);
}

// The quick mode has no token to give: its admin listener must be on loopback.
void read_quick_admin(const QuickOptions& options, Admin& admin, std::vector<Diagnostic>& errors) {
  if (options.admin.empty()) return;
  net::HostPort address;
  std::string_view error;
  if (!net::parse_host_port(options.admin, address, error)) {
    errors.push_back(problem(fmt::format("--admin '{}': {}", options.admin, error),
                             "e.g. --admin 127.0.0.1:9901"));
    return;
  }
  admin.listen = std::move(address);
  if (admin.needs_token()) {
    errors.push_back(problem(fmt::format("--admin '{}' is not a loopback address", options.admin),
                             "listen on 127.0.0.1, or use a configuration file with admin.token"));
  }
}

}  // namespace

LoadResult build_quick_config(const QuickOptions& options) {
  std::vector<Diagnostic> errors;
  auto config = std::make_shared<Config>();
  config->source = std::string(kSource);
  const SourceMark mark{std::string(kSource), 0, 0};

  Listener listener;
  listener.name = "quick";
  listener.mark = mark;
  std::string_view error;
  if (options.listen.empty()) {
    errors.push_back(problem("--listen is required", "e.g. --listen 127.0.0.1:8080"));
  } else if (!net::parse_host_port(options.listen, listener.listen, error)) {
    errors.push_back(problem(fmt::format("--listen '{}': {}", options.listen, error),
                             "e.g. --listen 127.0.0.1:8080 or --listen [::1]:8080"));
  }

  Cluster cluster;
  cluster.name = "quick";
  cluster.mark = mark;
  if (options.to.empty()) {
    errors.push_back(
        problem("at least one --to URL is required", "e.g. --to http://127.0.0.1:8081"));
  }
  std::optional<bool> https;  // of the first URL; one cluster speaks one protocol
  for (const std::string& url : options.to) {
    net::HostPort address;
    bool url_https = false;
    if (!parse_backend_url(url, address, url_https, errors)) continue;
    if (https && *https != url_https) {
      errors.push_back(problem(fmt::format("--to '{}': the backends mix http:// and https://", url),
                               "all --to URLs must use the same scheme"));
      continue;
    }
    https = url_https;
    cluster.endpoints.push_back(Endpoint{std::move(address), mark});
  }
  if (https.value_or(false)) {
    cluster.tls = UpstreamTls{.verify = !options.insecure_upstream, .mark = mark};
  } else if (options.insecure_upstream) {
    errors.push_back(problem("--insecure-upstream needs https:// backends",
                             "it turns off the check of their certificates"));
  }
  read_quick_tls(options, listener, errors);
  read_quick_admin(options, config->admin, errors);

  if (options.workers > kMaxWorkers) {
    errors.push_back(problem(
        fmt::format("--workers {} is out of range (from 1 to {})", options.workers, kMaxWorkers)));
  }
  if (!options.cache.empty()) {
    if (const auto bytes = parse_size(options.cache); !bytes) {
      errors.push_back(
          problem(fmt::format("--cache {}: {}", options.cache, bytes.error().message)));
    } else if (*bytes < (std::uint64_t{1} << 20)) {
      errors.push_back(
          problem(fmt::format("--cache {} is too small (at least 1MiB)", options.cache)));
    } else {
      config->cache_storage.memory = *bytes;
    }
  }
  if (!errors.empty()) return LoadResult{nullptr, std::move(errors)};

  Route route;
  route.action = ProxyAction{.cluster = cluster.name, .cluster_index = 0};
  route.mark = mark;
  VirtualHost host;
  host.domains = {"*"};
  host.routes.push_back(std::move(route));
  host.mark = mark;
  if (options.compress) {
    host.filters.push_back(FilterSpec{.type = "compression",
                                      .name = {},
                                      .settings = schema::default_compression(),
                                      .mark = mark});
  }
  if (!options.cache.empty()) {
    // Listed first: its response hooks run last, so it stores what the client gets (compressed,
    // when --compress is on too, and then varied on Accept-Encoding).
    host.filters.insert(
        host.filters.begin(),
        FilterSpec{.type = "cache", .name = {}, .settings = CacheSettings{}, .mark = mark});
  }
  listener.virtual_hosts.push_back(std::move(host));

  config->listeners.push_back(std::move(listener));
  config->clusters.push_back(std::move(cluster));
  config->workers = options.workers;
  config->access_log.path = options.access_log;
  return LoadResult{std::move(config), {}};
}

}  // namespace bulwark::config
