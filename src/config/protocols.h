#pragma once
// The protocol settings of listeners, clusters and routes: HTTP/2 from clients and to backends,
// WebSocket, FastCGI backends, layer-4 listeners (TCP proxying and TLS passthrough by SNI) and
// the PROXY protocol (docs/config.md "Protocols").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/address.h"

namespace bulwark::config {

// How a listener's connections are served.
enum class ListenerProtocol : std::uint8_t {
  kHttp,            // HTTP/1.1, and HTTP/2 as `http2` allows
  kTcp,             // the bytes go to an endpoint of `layer4.cluster` as they are
  kTlsPassthrough,  // TLS is not terminated: the ClientHello's SNI chooses the cluster
};

// HTTP/2 from clients (RFC 9113), with the defences of nghttp2 and bulwark's own limits against
// abusive peers. A limit hit closes the offending connection with GOAWAY (ENHANCE_YOUR_CALM);
// other connections are not affected.
struct Http2Settings {
  bool enabled = true;     // offered by ALPN ("h2") on TLS listeners
  bool cleartext = false;  // h2c with prior knowledge on plain listeners
  std::uint32_t max_concurrent_streams = 128;
  std::uint32_t initial_stream_window = 1U << 16;  // bytes a client may send per stream unread
  std::uint32_t connection_window = 1U << 20;      // and per connection
  std::uint32_t max_frame_size = 1U << 14;         // largest DATA frame bulwark sends
  // Flood limits, per connection and second: stream resets the client caused (rapid reset,
  // CVE-2023-44487), and control frames it sent (SETTINGS, PING, PRIORITY, empty DATA...).
  std::uint32_t max_resets_per_second = 200;
  std::uint32_t max_control_frames_per_second = 1000;
  // A stream whose client window stays closed this long is reset (zero-window stall).
  std::chrono::milliseconds stall_timeout{30'000};
};

// PROXY protocol v1 and v2 headers are required from these peers (and only accepted from them):
// the address they carry replaces the peer's everywhere (IP lists, forwarding headers, logs).
struct ProxyProtocolAccept {
  std::vector<net::Cidr> trusted_sources;
  std::chrono::milliseconds timeout{5'000};  // for the header to arrive
};

enum class ProxyProtocolVersion : std::uint8_t { kV1, kV2 };

// One way out of a TLS passthrough listener: ClientHellos naming one of `server_names` (exact
// or "*.suffix") go to `cluster`.
struct SniRoute {
  std::vector<std::string> server_names;
  std::string cluster;
  std::size_t cluster_index = 0;  // resolved by the loader
};

// A layer-4 listener's target (protocol tcp or tls_passthrough).
struct Layer4 {
  // tcp: the cluster every connection goes to. tls_passthrough: where a ClientHello that no
  // SNI route takes goes (empty: such connections are closed).
  std::string cluster;
  std::size_t cluster_index = 0;
  std::vector<SniRoute> sni_routes;
  std::chrono::milliseconds idle_timeout{600'000};  // no byte in either direction: close
};

// How a cluster's endpoints are spoken to.
enum class UpstreamProtocol : std::uint8_t {
  kHttp1,    // HTTP/1.1
  kH2,       // HTTP/2 over TLS
  kH2c,      // HTTP/2 over plain TCP (prior knowledge)
  kAuto,     // chosen per connection by ALPN (TLS clusters): h2 if offered, else HTTP/1.1
  kFastCgi,  // FastCGI responders (PHP-FPM)
};

// The CGI parameters of a FastCGI cluster (RFC 3875 §4.1 plus what PHP-FPM expects).
struct FastCgiSettings {
  std::string root;                 // DOCUMENT_ROOT on the FastCGI server's side
  std::string index = "index.php";  // appended to paths that end in '/'
  // Extra parameters, passed as they are (after the standard ones, so they may override them).
  std::vector<std::pair<std::string, std::string>> params;
};

// WebSocket (RFC 6455 Upgrade over HTTP/1.1; RFC 8441 extended CONNECT over HTTP/2) on a proxy
// route.
struct WebSocketSettings {
  bool enabled = true;
  // Origin values allowed in the handshake (exact, case-insensitive); empty: any.
  std::vector<std::string> allowed_origins;
  std::chrono::milliseconds idle_timeout{600'000};  // no frame in either direction: close
};

}  // namespace bulwark::config
