#pragma once
// The typed configuration (DESIGN.md §2a). A Config is built and validated off the hot path by
// the loader (YAML file) or the quick mode (command line), then published as an immutable
// snapshot: std::shared_ptr<const Config>. Nothing here changes after load.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cache/cache_key.h"
#include "compress/content_coding.h"
#include "config/protocols.h"
#include "config/source_mark.h"
#include "config/tls.h"
#include "core/log_level.h"
#include "net/address.h"

namespace bulwark::config {

using Duration = std::chrono::milliseconds;

struct Limits {
  std::size_t max_request_line = std::size_t{8} * 1024;   // longer request line: 414
  std::size_t max_header_bytes = std::size_t{32} * 1024;  // whole head, request line included: 431
  std::size_t max_header_count = 100;                     // more header fields: 431
  std::uint64_t max_body_bytes = 1ULL << 30;              // request body: 413 (0 = no limit)
  std::size_t max_connections_per_ip = 0;  // open connections from one client IP (0 = no limit)
  std::size_t buffer_size = std::size_t{32} * 1024;  // one I/O buffer; must hold max_header_bytes
};

struct Timeouts {
  Duration header_read{10'000};      // whole request head must arrive within this: 408
  Duration body_read{60'000};        // between two reads of a request body: 408
  Duration idle{60'000};             // keep-alive connection with no request in progress
  Duration send{60'000};             // between two successful writes to a client
  Duration upstream_connect{5'000};  // 502 after it
  Duration upstream_read{60'000};    // between two reads from a backend: 504
  Duration upstream_write{60'000};   // between two writes to a backend: 504
  Duration drain{30'000};            // graceful shutdown: in-flight requests get this long
};

// An endpoint is an IP address and port (static), a host name and port (looked up, A/AAAA, and
// looked up again as its answer expires), or an SRV name whose records give targets, ports and
// weights (also kept fresh).
struct Endpoint {
  net::HostPort address;  // unset (empty host) for an SRV endpoint
  SourceMark mark;
  std::uint32_t weight = 1;  // 1..1000: share of requests relative to the other endpoints
  std::string srv;           // an SRV name such as _http._tcp.api.internal; empty otherwise
};

// How a cluster looks its endpoint names up and how often it looks again.
struct DnsSettings {
  // auto: the IPv4 addresses of a name, or its IPv6 ones when it has no IPv4 address.
  enum class Family : std::uint8_t { kAuto, kAny, kIpv4, kIpv6 };
  std::vector<net::HostPort> resolvers;  // IP literals; empty: the system's (/etc/resolv.conf)
  std::optional<Duration> refresh;       // a fixed period; unset: each answer's TTL
  Duration min_ttl{1'000};               // TTLs are clamped into [min_ttl, max_ttl]
  Duration max_ttl{300'000};
  Family family = Family::kAuto;
};

// Where the consistent-hash balancer takes a request's key from.
struct HashKey {
  enum class Source : std::uint8_t { kHeader, kCookie, kPath, kQuery, kClientAddress };
  Source source = Source::kClientAddress;
  std::string name;  // the header, cookie or query parameter; empty for path and client address
};

struct PoolSettings {
  std::size_t max_idle_per_endpoint = 1024;  // per worker
  Duration idle_timeout{60'000};             // an idle pooled connection is closed after this
};

// Passive outlier detection: responses and failures as they happen eject an endpoint for a
// while. A count of 0 turns its rule off.
struct OutlierDetection {
  // 5xx responses and gateway errors in a row. Off by default: an application that answers 500
  // to one bad URL must not lose its endpoints (nginx counts only errors and timeouts too).
  std::uint32_t consecutive_5xx = 0;
  // 502, 503, 504, connect failures, timeouts and resets in a row.
  std::uint32_t consecutive_gateway_errors = 5;
  Duration base_ejection_time{30'000};      // the nth ejection in a row lasts n times this ...
  Duration max_ejection_time{300'000};      // ... up to this
  std::uint32_t max_ejection_percent = 50;  // at most this share is ejected (at least one may be)
};

// Circuit breaking: what the whole cluster (all workers together) may have in flight. A request
// over a limit gets 503 with Retry-After at once. 0 means no limit (not counted at all, so the
// hot path takes no shared counter); max_retries defaults to a limit, as retries come in storms.
struct CircuitBreaker {
  std::uint32_t max_connections = 0;       // open upstream connections
  std::uint32_t max_pending_requests = 0;  // requests waiting for a new connection
  std::uint32_t max_requests = 0;          // requests in flight
  std::uint32_t max_retries = 3;           // retries in flight
  Duration retry_after{1'000};             // the Retry-After of an overflow's 503, rounded up
};

// When and how a failed attempt is tried again, on another endpoint.
struct RetryPolicy {
  std::uint32_t retries = 1;       // attempts after the first (0: never retry)
  bool on_connect_failure = true;  // refused, unreachable or timed-out connects (nothing sent)
  bool on_reset = true;            // the connection failed before any response byte
  bool on_timeout = false;         // no response head within per_try_timeout (or the read timeout)
  std::vector<std::uint16_t> on_statuses;  // e.g. 502, 503, 504
  // Methods that may be sent twice. Empty: the idempotent ones (RFC 9110 §9.2.2). Connect
  // failures are retried for every method, as nothing was sent.
  std::vector<std::string> methods;
  std::optional<Duration> per_try_timeout;  // the response head's deadline per attempt
  Duration backoff_base{25};                // the nth retry waits a random time below base x 2^n
  Duration backoff_max{250};
  // A request body up to this size is kept so it can be sent again; a longer one is streamed
  // and the request is then not retried once its body went out.
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  // Retry budget: retries stay within this share of requests (per worker, over about ten
  // seconds), plus min_retries_per_second, so that retries cannot multiply an overload.
  std::uint32_t budget_percent = 20;
  std::uint32_t min_retries_per_second = 10;
};

// Sticky sessions: bulwark names a client's endpoint in a cookie it signs (HMAC-SHA256), so a
// client returns to the same endpoint while it is available and cannot choose one itself.
struct StickySessions {
  std::string cookie = "bulwark_sticky";
  std::optional<Duration> max_age;  // none: a session cookie
  std::string path = "/";
  bool secure = false;
  bool http_only = true;
  std::string same_site = "Lax";  // Strict, Lax or None
  // The signing key (its bytes, at least 32). Empty: a random key per process, so cookies do not
  // survive a restart or work across a fleet; give the same file to every instance for that.
  std::string secret_file;
};

// Statuses from `low` to `high`, both included.
struct StatusRange {
  std::uint16_t low = 200;
  std::uint16_t high = 399;
};

// Active health checking of a cluster's endpoints (one checker per cluster, off the workers).
struct HealthCheck {
  // An HTTP/1.1 request; the check passes on an expected status (and body, when given).
  struct Http {
    std::string method = "GET";
    std::string path = "/";
    std::string host;  // Host sent; empty: the endpoint's HOST:PORT as configured
    std::vector<StatusRange> expect_status{StatusRange{}};
    std::optional<std::string> body;  // a substring the first 64 KiB of the body must contain
  };
  std::optional<Http> http;  // none: a TCP connect that succeeds passes
  Duration interval{5'000};  // between the end of one check and the start of the next
  Duration timeout{2'000};   // a check not done by then fails
  Duration jitter{0};        // a random 0..jitter added to each interval (a share is resolved)
  std::uint32_t rise = 2;    // consecutive passes that bring an endpoint that is down back up
  std::uint32_t fall = 3;    // consecutive failures that take an endpoint that is up down
};

struct Cluster {
  std::string name;
  std::string balancer = "round_robin";
  std::vector<Endpoint> endpoints;
  std::optional<HashKey> hash_key;  // required by consistent_hash
  // Bounded load: a key's endpoint is skipped while its outstanding requests exceed this many
  // times the average (per worker).
  double hash_balance_factor = 1.25;
  OutlierDetection outlier_detection;
  // A returning endpoint's weight grows linearly from min_slow_start_percent to the full weight
  // over this window (0: at once).
  Duration slow_start{0};
  std::uint32_t min_slow_start_percent = 10;
  // When fewer than this share of endpoints is healthy, requests spread over all of them (those
  // an operator drained or disabled excepted) rather than overload the few or fail.
  std::uint32_t panic_threshold_percent = 50;
  CircuitBreaker circuit_breaker;
  RetryPolicy retry;
  std::optional<StickySessions> sticky;
  PoolSettings pool;
  DnsSettings dns;
  std::optional<HealthCheck> health_check;
  std::optional<UpstreamTls> tls;  // the endpoints speak TLS
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  std::optional<FastCgiSettings> fastcgi;  // set when protocol is fastcgi
  // A PROXY protocol header sent first on every new connection, carrying the client's address.
  std::optional<ProxyProtocolVersion> send_proxy_protocol;
  SourceMark mark;
};

// Per-route overrides of the upstream timeouts; unset ones come from Config::timeouts.
struct UpstreamTimeouts {
  std::optional<Duration> connect;
  std::optional<Duration> read;
  std::optional<Duration> write;
};

struct ProxyAction {
  std::string cluster;            // name of a Cluster
  std::size_t cluster_index = 0;  // resolved by the loader: index into Config::clusters
  // Path rewrites, applied to the path without its query (the query is kept). At most one:
  std::optional<std::string> prefix_rewrite;  // replaces the route's matched prefix
  struct RegexRewrite {
    std::string pattern;       // RE2; every match in the path is replaced
    std::string substitution;  // \1..\9 refer to groups
  };
  std::optional<RegexRewrite> regex_rewrite;
  std::string host_rewrite;  // Host sent upstream; empty: the client's Host
  UpstreamTimeouts timeouts;
  std::optional<RetryPolicy> retry;  // replaces the cluster's retry policy for this route
  WebSocketSettings websocket;
};

// Sends the client elsewhere. Each part left unset keeps the request's own.
struct RedirectAction {
  std::uint16_t status = 301;  // 301, 302, 303, 307 or 308
  std::string scheme;          // "http" or "https"
  std::string host;            // host name, without port
  std::optional<std::uint16_t> port;
  std::string path;                           // replaces the whole path
  std::optional<std::string> prefix_rewrite;  // replaces the route's matched prefix
  bool strip_query = false;
};

struct DirectResponseAction {
  std::uint16_t status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Files below `root`: the request path (with the route's matched prefix replaced by
// `prefix_rewrite` when set, as nginx's alias does) names a file under the root.
struct StaticAction {
  std::string root;                              // absolute directory
  std::vector<std::string> index{"index.html"};  // tried in order for a directory
  bool dotfiles = false;                         // serve names starting with '.'
  std::optional<std::string> prefix_rewrite;     // replaces the matched prefix before mapping
  // Codings whose files may sit beside the original (FILE.zst, FILE.br, FILE.gz), the server's
  // preference first; a client that accepts one gets that file instead.
  std::vector<compress::Coding> precompressed;
};

// How a route matches. All given conditions must hold.
enum class PathMatchKind : std::uint8_t { kPrefix, kExact, kRegex };

enum class ValueMatchKind : std::uint8_t { kPresent, kExact, kRegex };

struct ValueMatch {  // a header or a query parameter
  std::string name;  // header names lower case; query parameter names as written
  ValueMatchKind kind = ValueMatchKind::kPresent;
  std::string value;    // the exact value or the RE2 pattern (whole-value match)
  bool invert = false;  // the condition holds when the value does NOT match (or is absent)
};

struct RouteMatch {
  PathMatchKind path_kind = PathMatchKind::kPrefix;
  std::string path = "/";            // the prefix, the exact path or the RE2 pattern (full match)
  std::vector<std::string> methods;  // upper case; empty: any
  std::vector<ValueMatch> headers;
  std::vector<ValueMatch> query;
  std::vector<net::Cidr> networks;  // client address in one of these; empty: any
};

// Header control (filters: - headers: ...). Values are templates: {client_address}, {host}, ...
// (docs/config.md lists the variables).
enum class HeaderOp : std::uint8_t { kAdd, kSet, kRemove, kRename };

struct HeaderRule {
  HeaderOp op = HeaderOp::kSet;
  std::string name;   // lower case
  std::string value;  // template for add/set; the new name (lower case) for rename
};

struct HeaderRules {
  std::vector<HeaderRule> request;
  std::vector<HeaderRule> response;
};

// compression: the codings offered, in the server's preference (best first), each at its level.
struct CompressionCoding {
  compress::Coding coding = compress::Coding::kGzip;
  int level = 0;
};

struct Compression {
  std::vector<CompressionCoding> codings;
  std::vector<std::string> content_types;  // media ranges, lower case ("text/*", "*/*+json")
  std::uint64_t min_length = 1024;         // bytes; a shorter Content-Length is sent as it is
};

// gRPC-Web to gRPC translation (filters: - grpc_web: {}); it has no settings.
struct GrpcWebSettings {};

// The HTTP cache of a virtual host or route (filters: - cache: {...}); the storage it uses is
// the server's (cache_storage:).
struct CacheSettings {
  cache::KeyRules key;
  std::uint64_t max_object = 10ULL << 20;  // bytes; larger responses are not stored
  bool store_set_cookie = false;
  // Serve stale content when the origin fails or the cluster is down, whatever the response's
  // stale-if-error says (never when it says must-revalidate or s-maxage).
  bool serve_stale_on_error = false;
  Duration collapse_timeout{10000};  // how long a collapsed request waits for the first's head
  // Freshness by status code, replacing what the origin's fields give (`ttl:`), and a floor for
  // what they give (`min_ttl:`); seconds.
  std::vector<std::pair<std::uint16_t, std::int64_t>> ttl;
  std::vector<std::pair<std::uint16_t, std::int64_t>> min_ttl;
  // Requests with any of these fields or cookies skip the cache (neither read nor stored).
  std::vector<std::string> bypass_headers;
  std::vector<std::string> bypass_cookies;
  std::string status_header = "cache-status";  // RFC 9211; empty: not sent
  std::string hit_header;                      // e.g. x-cache: HIT / MISS; empty: not sent
  std::vector<net::Cidr> purge_from;           // PURGE is accepted from these networks only
};

// The settings of one configurable filter. Each filter kind adds its settings type here.
using FilterSettings = std::variant<HeaderRules, Compression, GrpcWebSettings, CacheSettings>;

struct FilterSpec {
  std::string type;  // "headers", ...
  std::string name;  // set when defined under the top-level `filters:` and referred to by name
  FilterSettings settings;
  SourceMark mark;
};

using Action = std::variant<ProxyAction, DirectResponseAction, RedirectAction, StaticAction>;

struct Route {
  std::string name;  // optional; the {route} variable and the access log show it
  RouteMatch match;
  Action action;
  // Replaces the virtual host's filters for this route when set.
  std::optional<std::vector<FilterSpec>> filters;
  // Only clients that presented a verified certificate get the action; others get 403.
  bool require_client_certificate = false;
  SourceMark mark;
};

struct VirtualHost {
  std::vector<std::string> domains;  // "example.com", "*.example.com", "*" (default); may carry
                                     // a port ("example.com:8080")
  std::vector<FilterSpec> filters;   // run in this order for every route of the host
  std::vector<Route> routes;
  SourceMark mark;
};

struct Listener {
  std::string name;
  net::HostPort listen;
  std::vector<VirtualHost> virtual_hosts;
  std::optional<ListenerTls> tls;  // TLS termination; none: plain HTTP
  // A plain listener that sends every request to https://HOST[:PORT] of the same path (301 for
  // GET and HEAD, 308 otherwise) instead of routing it; 443 leaves the port out.
  std::optional<std::uint16_t> redirect_to_https;
  ListenerProtocol protocol = ListenerProtocol::kHttp;
  Http2Settings http2;
  Layer4 layer4;  // protocol tcp and tls_passthrough
  std::optional<ProxyProtocolAccept> proxy_protocol;
  SourceMark mark;
};

struct Forwarding {
  // Incoming X-Forwarded-*, Forwarded and X-Request-Id values are kept only from these peers.
  std::vector<net::Cidr> trusted_networks;
  std::string via = "bulwark";  // pseudonym in the Via header; empty: no Via
  bool x_forwarded = true;      // set X-Forwarded-For/-Proto/-Host
  bool forwarded = true;        // set RFC 7239 Forwarded
};

struct RequestId {
  std::string header = "x-request-id";  // generated when absent, passed upstream, echoed, logged
};

enum class AccessLogFormat : std::uint8_t { kCombined, kJson };

struct AccessLog {
  std::string path;  // empty: off; "-": standard output
  AccessLogFormat format = AccessLogFormat::kCombined;
};

// The admin listener (/metrics and the admin API). Its bearer token is a secret: the running
// configuration the API shows has it redacted.
struct Admin {
  std::optional<net::HostPort> listen;  // none: no admin listener
  std::string token;                    // empty: no token asked (loopback addresses only)

  // Off loopback, anyone who can reach the port could drain endpoints or read the
  // configuration: a token is then required. A host name counts as off loopback (what it
  // resolves to may change).
  [[nodiscard]] bool needs_token() const;
};

using LogLevel = core::LogLevel;

struct ErrorLog {
  std::string path;  // empty: standard error
  LogLevel level = LogLevel::kInfo;
};

// What stops responses from revealing the backends (docs/config.md "obfuscation").
struct Obfuscation {
  // Response headers removed from every upstream response (lower case).
  std::vector<std::string> strip_headers{"server",
                                         "x-powered-by",
                                         "x-aspnet-version",
                                         "x-aspnetmvc-version",
                                         "x-runtime",
                                         "x-backend-server",
                                         "x-generator",
                                         "x-drupal-cache",
                                         "x-drupal-dynamic-cache",
                                         "x-varnish",
                                         "x-served-by",
                                         "x-upstream",
                                         "x-server",
                                         "x-litespeed-cache",
                                         "x-turbo-charged-by",
                                         "x-pingback"};
  std::string server = "bulwark";  // bulwark's Server header; empty: none
  bool rewrite_redirects = true;   // Location, Content-Location, Refresh to a backend address
  bool rewrite_cookies = true;     // Set-Cookie Domain naming a backend address
};

// A page of our own for a status bulwark or a backend produced.
struct ErrorPage {
  std::uint16_t status = 0;
  std::string file;          // as configured
  std::string body;          // the file's content, read at load
  std::string content_type;  // from the file's extension, or as configured
  // Also replaces the body of an upstream response with this status (nginx's
  // proxy_intercept_errors), so that a backend's own error page never reaches the client.
  bool intercept_upstream = false;
  SourceMark mark;
};

// The storage of the HTTP cache, shared by every `cache` filter (cache_storage:).
struct CacheStorage {
  std::uint64_t memory = 256ULL << 20;  // bytes of the memory tier
};

struct Config {
  unsigned workers = 0;  // 0: one per core ("auto")
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  Limits limits;
  Timeouts timeouts;
  Forwarding forwarding;
  RequestId request_id;
  AccessLog access_log;
  ErrorLog error_log;
  Obfuscation obfuscation;
  std::vector<ErrorPage> error_pages;
  std::vector<FilterSpec> filters;  // named filter definitions that virtual hosts refer to
  std::string pid_file;             // written at start; `bulwark reload` signals that process
  std::string control_socket;       // operator commands (`bulwark endpoint ...`); empty: none
  CacheStorage cache_storage;
  Admin admin;
  std::string source;  // the file it was loaded from, or "command line"

  [[nodiscard]] unsigned effective_workers() const noexcept;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace bulwark::config
