#include "upstream/health/http_probe.h"

#include <fmt/format.h>

#include <array>
#include <asio/write.hpp>

#include "http/h1/body_decoder.h"
#include "http/h1/response_parser.h"
#include "upstream/health/tcp_probe.h"

namespace bulwark::upstream::health {
namespace {

constexpr std::size_t kReadChunk = 16384;

}  // namespace

HttpProbe::HttpProbe(const config::HealthCheck::Http& spec, std::string_view default_host,
                     std::shared_ptr<const net::tls::ClientContext> tls, std::string server_name)
    : tls_(std::move(tls)),
      server_name_(std::move(server_name)),
      session_key_(default_host),
      expect_status_(spec.expect_status),
      body_(spec.body),
      head_request_(spec.method == "HEAD") {
  request_ = fmt::format(
      "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: bulwark-health\r\nAccept: */*\r\n"
      "Connection: close\r\n\r\n",
      spec.method, spec.path, spec.host.empty() ? default_host : std::string_view(spec.host));
}

core::Task<ProbeResult> HttpProbe::run(net::Transport& transport,
                                       asio::ip::tcp::endpoint address) const {
  ProbeResult connected = co_await probe_tcp(transport.socket(), address);
  if (!connected.passed) co_return connected;
  if (tls_) {
    net::tls::SslPtr ssl = tls_->new_ssl(server_name_, session_key_);
    if (!ssl) co_return ProbeResult::fail("cannot start TLS");
    transport.start_tls(std::move(ssl));
    if (const std::error_code ec = co_await transport.handshake()) {
      co_return ProbeResult::fail(
          fmt::format("TLS handshake failed: {}",
                      net::tls::ClientContext::handshake_failure(transport.ssl(), ec)));
    }
  }
  auto [ec, written] = co_await transport.write(asio::buffer(request_));
  if (ec) co_return ProbeResult::fail(fmt::format("request not sent: {}", describe(ec)));
  co_return co_await read_response(transport);
}

core::Task<ProbeResult> HttpProbe::read_response(net::Transport& transport) const {
  std::string data;
  std::array<char, kReadChunk> chunk{};
  http::h1::ResponseParser parser(limits_);
  http::ResponseHead head;
  for (;;) {
    const core::Result<std::size_t> parsed = parser.parse(data, head, head_request_);
    if (!parsed) {
      co_return ProbeResult::fail(fmt::format("invalid response: {}", parsed.error().detail));
    }
    if (*parsed > 0 && head.status < 200) {  // an interim response; the final one follows
      data.erase(0, *parsed);
      parser.reset();
      head = http::ResponseHead();
      continue;
    }
    if (*parsed > 0) {
      if (!status_expected(expect_status_, head.status)) {
        co_return ProbeResult::fail(fmt::format("status {}", head.status));
      }
      if (!body_) co_return ProbeResult::pass();
      data.erase(0, *parsed);
      co_return co_await match_body(transport, std::move(data), head.framing, head.content_length,
                                    *body_);
    }
    auto [ec, n] = co_await transport.read_some(asio::buffer(chunk));
    if (ec == asio::error::eof) co_return ProbeResult::fail("closed before a response");
    if (ec) co_return ProbeResult::fail(describe(ec));
    data.append(chunk.data(), n);
  }
}

core::Task<ProbeResult> HttpProbe::match_body(net::Transport& transport, std::string pending,
                                              http::BodyFraming framing,
                                              std::uint64_t content_length,
                                              std::string_view expected) const {
  const ProbeResult mismatch =
      ProbeResult::fail(fmt::format("the body does not contain '{}'", expected));
  if (framing == http::BodyFraming::kNone) co_return mismatch;
  http::h1::BodyDecoder decoder(limits_);
  decoder.start(framing, content_length);
  std::string body;
  std::array<char, kReadChunk> chunk{};
  for (;;) {
    while (!pending.empty() && !decoder.done()) {
      const auto step = decoder.decode(pending);
      if (!step) {
        co_return ProbeResult::fail(fmt::format("invalid response body: {}", step.error().detail));
      }
      if (step->consumed == 0 && step->data.empty()) break;  // a partial chunk line
      // Only the new bytes, and the end of the old ones they may complete a match with.
      const std::size_t from =
          body.size() >= expected.size() ? body.size() - expected.size() + 1 : 0;
      body.append(step->data.substr(0, kBodyWindow - body.size()));
      pending.erase(0, step->consumed);
      if (body.find(expected, from) != std::string::npos) co_return ProbeResult::pass();
      if (body.size() == kBodyWindow) co_return mismatch;
    }
    if (decoder.done()) co_return mismatch;
    auto [ec, n] = co_await transport.read_some(asio::buffer(chunk));
    if (ec == asio::error::eof && framing == http::BodyFraming::kUntilClose) co_return mismatch;
    if (ec == asio::error::eof) co_return ProbeResult::fail("closed in the middle of the body");
    if (ec) co_return ProbeResult::fail(describe(ec));
    pending.append(chunk.data(), n);
  }
}

bool status_expected(std::span<const config::StatusRange> ranges, std::uint16_t status) noexcept {
  for (const config::StatusRange& range : ranges) {
    if (status >= range.low && status <= range.high) return true;
  }
  return false;
}

}  // namespace bulwark::upstream::health
