#pragma once
// The configuration schema (docs/config.md): which keys exist, what each holds, and the checks
// that span several items (unique names, cluster references, shadowed routes). Internal to the
// loader; each function reports through the reader and fills what it could read.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace bulwark::config::schema {

// The whole document.
void read_root(YamlReader& reader, const Value& root, Config& config);

// Top-level settings (schema_settings.cpp).
void read_workers(YamlReader& reader, const Value& value, Config& config);
void read_limits(YamlReader& reader, const Value& value, Limits& limits);
void read_timeouts(YamlReader& reader, const Value& value, Timeouts& timeouts);
void read_forwarding(YamlReader& reader, const Value& value, Forwarding& forwarding);
void read_request_id(YamlReader& reader, const Value& value, RequestId& request_id);
void read_access_log(YamlReader& reader, const Value& value, AccessLog& access_log);
void read_error_log(YamlReader& reader, const Value& value, ErrorLog& error_log);
void read_control_socket(YamlReader& reader, const Value& value, std::string& path);
// admin: (schema_admin.cpp).
void read_admin(YamlReader& reader, const Value& value, Admin& admin);

// clusters: (schema_clusters.cpp).
void read_clusters(YamlReader& reader, const Value& value, Config& config);
// A cluster's dns: and an SRV endpoint's name (schema_dns.cpp).
void read_dns(YamlReader& reader, const Value& value, DnsSettings& dns);
std::optional<std::string> read_srv_name(YamlReader& reader, const Value& value);
// A cluster's outlier_detection, slow_start, panic_threshold, circuit_breaker and retry, those
// that `map` has (schema_resilience.cpp).
void read_cluster_resilience(YamlReader& reader, const MapView& map, Cluster& cluster);
// schema_fastcgi.cpp: `protocol: fastcgi` and `fastcgi:`, after health_check was read.
void read_cluster_fastcgi(YamlReader& reader, const MapView& map, Cluster& cluster);
// A cluster's `sticky` sessions (schema_sticky.cpp).
std::optional<StickySessions> read_sticky(YamlReader& reader, const Value& value);
// retry: of a cluster, or of a route's proxy; keys left out keep the values `policy` has.
void read_retry_policy(YamlReader& reader, const Value& value, RetryPolicy& policy);
// A cluster's health_check: (schema_health_check.cpp).
std::optional<HealthCheck> read_health_check(YamlReader& reader, const Value& value);

// tls: of a listener and of a cluster, a listener's redirect_to_https and a route's
// require_client_certificate (schema_tls.cpp). Only paths are read; the files are opened when
// the TLS contexts are built.
std::optional<ListenerTls> read_listener_tls(YamlReader& reader, const Value& value);
std::optional<UpstreamTls> read_upstream_tls(YamlReader& reader, const Value& value);
// `true` (port 443) or a port; `has_tls` makes it an error (the listener is HTTPS already).
std::optional<std::uint16_t> read_redirect_to_https(YamlReader& reader, const Value& value,
                                                    bool has_tls);
// Needs the listener to ask for client certificates (mode optional or required).
void read_require_client_certificate(YamlReader& reader, const Value& value,
                                     const Listener& listener, Route& route);

// listeners: (schema_listeners.cpp); routes resolve against config.clusters, so clusters are read
// first whatever the order in the file.
void read_listeners(YamlReader& reader, const Value& value, Config& config);

// A listener's http2: and a cluster's protocol:, when `map` has them (schema_http2.cpp). h2 and
// auto need the cluster's tls, h2c forbids it.
void read_listener_http2(YamlReader& reader, const MapView& map, Listener& listener);
void read_cluster_protocol(YamlReader& reader, const MapView& map, Cluster& cluster);
// A listener's protocol, layer4 and proxy_protocol, those that `map` has (schema_layer4.cpp).
// Returns whether the listener is a layer-4 one (it then has no virtual hosts).
bool read_listener_protocol(YamlReader& reader, const MapView& map, const Config& config,
                            Listener& listener);
// A cluster's send_proxy_protocol.
void read_send_proxy_protocol(YamlReader& reader, const MapView& map, Cluster& cluster);

// A route of a virtual host (schema_routes.cpp). Returns whether its match was read, i.e. whether
// it can take part in the shadowing check; problems with its action are reported either way.
bool read_route(YamlReader& reader, const Value& value, const Config& config,
                const Listener& listener, Route& route);
// redirect: (schema_redirect.cpp); prefix_rewrite needs the route's match to be a prefix.
void read_redirect(YamlReader& reader, const Value& value, const RouteMatch& match,
                   RedirectAction& redirect);
// static: (schema_static.cpp).
void read_static(YamlReader& reader, const Value& value, const RouteMatch& match,
                 StaticAction& files);

// match: (schema_match.cpp). Returns whether the match was read.
bool read_match(YamlReader& reader, const Value& value, RouteMatch& match);
// A list of HTTP methods: known ones, in upper case, each once, at least one. Returns whether all
// were read.
bool read_methods(YamlReader& reader, const Value& value, std::vector<std::string>& methods);
// Reports each route that an earlier one in the same virtual host always wins over.
void check_shadowed_routes(YamlReader& reader, const VirtualHost& host);

// filters: (schema_filters.cpp). A list of inline filters or names of top-level definitions;
// the top-level `filters:` defines named ones.
void read_filter_list(YamlReader& reader, const Value& value, const Config& config,
                      std::vector<FilterSpec>& filters);
void read_filter_definitions(YamlReader& reader, const Value& value, Config& config);
// The compression filter's settings (schema_compression.cpp); the defaults are what
// `compression: {}` and quick mode's --compress give.
void read_compression(YamlReader& reader, const Value& value, Compression& compression);
Compression default_compression();
// obfuscation: and error_pages: (schema_obfuscation.cpp).
// The cache filter's settings and the server's cache storage (schema_cache.cpp).
void read_cache(YamlReader& reader, const Value& value, CacheSettings& cache);
void read_cache_storage(YamlReader& reader, const Value& value, CacheStorage& storage);

void read_obfuscation(YamlReader& reader, const Value& value, Obfuscation& obfuscation);
void read_error_pages(YamlReader& reader, const Value& value, Config& config);

// Shared checks (schema_common.cpp).
// A name others refer to (listener, cluster): letters, digits, '_', '-', '.'.
std::optional<std::string> read_name(YamlReader& reader, const Value& value);
// `off`, or a map with `keys`. nullopt for `off` (and `off` set) and after a mistake.
std::optional<MapView> read_map_or_off(YamlReader& reader, const Value& value,
                                       std::span<const std::string_view> keys, bool& off);
std::optional<net::HostPort> read_host_port(YamlReader& reader, const Value& value);
// An address or ADDRESS/PREFIX (10.0.0.0/8, ::1).
std::optional<net::Cidr> read_network(YamlReader& reader, const Value& value);
// "line 12" for an earlier item of the same file as `here`, "other.yaml:12" for one of another
// file (an included one): where a duplicate was first defined.
std::string line_of(const SourceMark& first, const SourceMark& here);
// An HTTP token (RFC 9110 §5.6.2), as header field names are.
bool is_token(std::string_view text);
// An RE2 pattern that compiles; RE2's reason otherwise.
std::optional<std::string> read_re2_pattern(YamlReader& reader, const Value& value);
// Whether `substitution` only refers to groups `pattern` has (\0..\9); `why` says what is wrong.
bool check_substitution(const std::string& pattern, const std::string& substitution,
                        std::string& why);
// A prefix_rewrite: needs a prefix match; empty or starting with '/'.
std::optional<std::string> read_prefix_rewrite(YamlReader& reader, const Value& value,
                                               const RouteMatch& match);
// ASCII lowercase: host names and header names compare case-insensitively.
std::string to_lower(std::string text);
// Header fields bulwark writes itself, from the body and the connection: framing and hop-by-hop
// fields (RFC 9110 §7.6.1). The configuration cannot set them.
bool is_managed_header(std::string_view name);
// CR, LF or NUL in a header value would let it start a new header line (response splitting).
bool has_line_break(std::string_view text);

}  // namespace bulwark::config::schema
