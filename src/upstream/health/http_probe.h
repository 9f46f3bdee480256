#pragma once
// The HTTP check: one HTTP/1.1 request on a fresh connection (Connection: close), and a response
// whose status is in the expected ranges and, when asked, whose body contains a given text. The
// response is parsed by the same strict parser as proxied responses, so a backend that proxying
// would refuse does not pass its check either.

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/io.h"
#include "http/h1/parser_limits.h"
#include "http/message.h"
#include "net/tls/client_context.h"
#include "net/tls/transport.h"
#include "upstream/health/probe_result.h"

namespace bulwark::upstream::health {

class HttpProbe {
 public:
  // The most body read to look for the expected text; a body that has not shown it by then fails.
  static constexpr std::size_t kBodyWindow = std::size_t{64} * 1024;

  // `default_host` is sent as Host when the check names none. With `tls` (a cluster whose
  // endpoints speak TLS) the check does the handshake first, as requests do: sending
  // `server_name`, verifying the certificate, resuming the endpoint's session.
  HttpProbe(const config::HealthCheck::Http& spec, std::string_view default_host,
            std::shared_ptr<const net::tls::ClientContext> tls = nullptr,
            std::string server_name = {});

  // Connects `transport` (closed) to `address`, sends the request and judges the response. The
  // caller bounds the time, by closing the socket.
  core::Task<ProbeResult> run(net::Transport& transport, asio::ip::tcp::endpoint address) const;

  [[nodiscard]] const std::string& request() const noexcept { return request_; }

 private:
  core::Task<ProbeResult> read_response(net::Transport& transport) const;
  core::Task<ProbeResult> match_body(net::Transport& transport, std::string pending,
                                     http::BodyFraming framing, std::uint64_t content_length,
                                     std::string_view expected) const;

  std::string request_;
  std::shared_ptr<const net::tls::ClientContext> tls_;
  std::string server_name_;
  std::string session_key_;  // the endpoint's, shared with the requests' connections
  std::vector<config::StatusRange> expect_status_;
  std::optional<std::string> body_;
  bool head_request_ = false;
  http::h1::ParserLimits limits_;
};

// Whether `status` is in one of `ranges`.
[[nodiscard]] bool status_expected(std::span<const config::StatusRange> ranges,
                                   std::uint16_t status) noexcept;

}  // namespace bulwark::upstream::health
