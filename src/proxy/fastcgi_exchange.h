#pragma once
// The FastCGI side of an UpstreamLeg whose cluster speaks `protocol: fastcgi` (PHP-FPM): the
// request head becomes BEGIN_REQUEST and the CGI parameters (the body follows as STDIN records,
// framed by the body relay), the response head is the CGI head at the start of STDOUT, and the
// response body is the rest of STDOUT, which this class hands to the body relay as its
// BodySource. The leg's machinery (endpoints, pools, timeouts, retries, breakers) is shared:
// only the bytes differ. A connection goes back to the pool only after END_REQUEST, with the
// whole of STDOUT read (the relay ends there).

#include <array>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/protocols.h"
#include "core/buffer.h"
#include "core/error.h"
#include "core/io.h"
#include "http/fastcgi/cgi_head_parser.h"
#include "http/fastcgi/response_reader.h"
#include "http/h1/parser_limits.h"
#include "http/message.h"
#include "net/tls/transport.h"
#include "proxy/body_relay.h"
#include "proxy/connection_deadline.h"
#include "proxy/filter/stream_info.h"

namespace bulwark::proxy {

class FastCgiExchange final : public BodySource {
 public:
  FastCgiExchange(const config::FastCgiSettings& settings, const http::h1::ParserLimits& limits,
                  core::BufferPool& buffers, const std::string_view& upstream_label);
  FastCgiExchange(const FastCgiExchange&) = delete;
  FastCgiExchange& operator=(const FastCgiExchange&) = delete;
  ~FastCgiExchange();

  // BEGIN_REQUEST and the PARAMS stream into `out`, then the end of STDIN unless `body_follows`.
  // 0 when they do not fit; kBadRequest for a path that cannot name a script. SERVER_ADDR and
  // SERVER_PORT come from `info`, else from the listener's address (SERVER_ADDR left out when
  // it listens on every address).
  core::Result<std::size_t> write_request(const http::RequestHead& request, const StreamInfo& info,
                                          const asio::ip::tcp::endpoint& listener,
                                          bool body_follows, std::span<char> out);

  // Reads records into `response` until the CGI head is complete and fills `out` from it. Bytes
  // after the head stay for the body (here or in `response`).
  core::Task<core::Result<void>> read_response_head(net::Transport& upstream,
                                                    core::Buffer& response,
                                                    ConnectionDeadline& deadline,
                                                    core::Clock::duration timeout,
                                                    http::ResponseHead& out, bool head_request);

  // BodySource, valid after read_response_head: STDOUT after the head, up to END_REQUEST. A
  // response without a body (HEAD, 204, 304) has its STDOUT read and dropped; one with a
  // Content-Length must send exactly that many bytes.
  core::Result<http::h1::BodyDecoder::Step> decode(std::string_view in) override;
  [[nodiscard]] bool done() const noexcept override { return reader_.done() && early_.empty(); }
  [[nodiscard]] std::uint64_t body_bytes() const noexcept override { return body_bytes_; }

 private:
  // Moves STDOUT content from `response` into head_bytes_ until the CGI head is complete.
  core::Result<bool> take_head(core::Buffer& response, http::ResponseHead& out, bool head_request);
  // STDERR of the attempt, to the log at warn.
  void log_stderr();

  const config::FastCgiSettings& settings_;
  core::BufferPool& buffers_;
  const std::string_view& upstream_label_;  // the stream's, set when an endpoint is picked
  http::fastcgi::ResponseReader reader_;
  http::fastcgi::CgiHeadParser head_parser_;
  core::Buffer head_bytes_;  // STDOUT up to the end of the CGI head; the head's views point here
  std::string_view early_;   // body bytes that came with the head (inside head_bytes_)
  http::BodyFraming framing_ = http::BodyFraming::kNone;
  std::uint64_t content_length_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string path_scratch_;
  std::array<char, 48> server_address_{};  // the listener's address as text
};

}  // namespace bulwark::proxy
