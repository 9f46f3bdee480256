#pragma once
// Facts about one stream that filters read and some of them set. Owned by the stream; views point
// into the stream's arena or into configuration that outlives the stream.

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace bulwark::proxy {

struct StreamInfo {
  asio::ip::address client_address;  // the real client (the peer, or what PROXY protocol says)
  std::uint16_t client_port = 0;
  std::string_view client_address_text;  // client_address as text, computed once per connection
  asio::ip::address local_address;
  std::uint16_t local_port = 0;
  std::string_view scheme = "http";
  std::string_view listener_name;
  // The client is in forwarding.trusted_networks: its X-Forwarded-*, Forwarded and request id
  // headers are believed and extended instead of replaced.
  bool client_trusted = false;
  std::string_view request_id;  // set by the request-id filter
  std::string_view route_name;  // the matched route's name; empty when unnamed or unrouted
  // TLS facts of the client connection; empty on plain-text listeners.
  std::string_view tls_version;
  std::string_view tls_cipher;
  std::string_view tls_server_name;
  std::string_view client_cert_subject;
  std::string_view client_cert_fingerprint;
  std::string_view upstream_address;  // host:port of the backend that served the request
  // Attempts after the first, to any endpoint.
  std::uint32_t upstream_retries = 0;
  // The response is bulwark's own (a direct response, an error page, a static file): its body
  // goes out without passing the response body hooks, so no filter may promise to transform it.
  bool local_response = false;
  // A request bulwark sends on its own after the client was answered (a cache's
  // stale-while-revalidate refresh): nobody reads its response.
  bool background = false;
  // A proxy route's prefix_rewrite: the matched prefix as the client sent it, and what replaced
  // it upstream, for responses that name upstream paths. Both empty without a prefix rewrite.
  std::string_view public_path_prefix;
  std::string_view upstream_path_prefix;
  std::chrono::steady_clock::time_point start;
};

}  // namespace bulwark::proxy
