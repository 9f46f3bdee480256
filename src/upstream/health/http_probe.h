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
#include "upstream/health/probe_result.h"

namespace bulwark::upstream::health {

class HttpProbe {
 public:
  // The most body read to look for the expected text; a body that has not shown it by then fails.
  static constexpr std::size_t kBodyWindow = std::size_t{64} * 1024;

  // `default_host` is sent as Host when the check names none.
  HttpProbe(const config::HealthCheck::Http& spec, std::string_view default_host);

  // Connects `socket` (closed) to `address`, sends the request and judges the response. The
  // caller bounds the time, by closing the socket.
  core::Task<ProbeResult> run(core::TcpSocket& socket, asio::ip::tcp::endpoint address) const;

  [[nodiscard]] const std::string& request() const noexcept { return request_; }

 private:
  core::Task<ProbeResult> read_response(core::TcpSocket& socket) const;
  core::Task<ProbeResult> match_body(core::TcpSocket& socket, std::string pending,
                                     http::BodyFraming framing, std::uint64_t content_length,
                                     std::string_view expected) const;

  std::string request_;
  std::vector<config::StatusRange> expect_status_;
  std::optional<std::string> body_;
  bool head_request_ = false;
  http::h1::ParserLimits limits_;
};

// Whether `status` is in one of `ranges`.
[[nodiscard]] bool status_expected(std::span<const config::StatusRange> ranges,
                                   std::uint16_t status) noexcept;

}  // namespace bulwark::upstream::health
