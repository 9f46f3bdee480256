#include "proxy/fastcgi_exchange.h"

#include <arpa/inet.h>

#include <algorithm>

#include "core/log.h"
#include "http/fastcgi/cgi_params.h"
#include "proxy/io.h"

namespace bulwark::proxy {
namespace {

using core::ErrorKind;
using core::fail;

std::string_view address_text(const asio::ip::address& address, std::span<char, 48> out) {
  if (address.is_unspecified()) return {};
  const bool v4 = address.is_v4();
  const auto bytes4 = v4 ? address.to_v4().to_bytes() : asio::ip::address_v4::bytes_type{};
  const auto bytes6 = v4 ? asio::ip::address_v6::bytes_type{} : address.to_v6().to_bytes();
  const void* raw = v4 ? static_cast<const void*>(bytes4.data()) : bytes6.data();
  if (inet_ntop(v4 ? AF_INET : AF_INET6, raw, out.data(), out.size()) == nullptr) return {};
  return {out.data()};
}

}  // namespace

FastCgiExchange::FastCgiExchange(const config::FastCgiSettings& settings,
                                 const http::h1::ParserLimits& limits, core::BufferPool& buffers,
                                 const std::string_view& upstream_label)
    : settings_(settings),
      buffers_(buffers),
      upstream_label_(upstream_label),
      head_parser_(limits) {}

FastCgiExchange::~FastCgiExchange() {
  log_stderr();
}

void FastCgiExchange::log_stderr() {
  if (reader_.stderr_text().empty()) return;
  // One log line per request, whatever line breaks and control bytes the application wrote.
  std::string text(reader_.stderr_text());
  std::ranges::replace_if(
      text, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  BULWARK_LOG_WARN("upstream {}: FastCGI stderr: {}{}", upstream_label_, text,
                   reader_.stderr_truncated() ? " [...]" : "");
}

core::Result<std::size_t> FastCgiExchange::write_request(const http::RequestHead& request,
                                                         const StreamInfo& info,
                                                         const asio::ip::tcp::endpoint& listener,
                                                         bool body_follows, std::span<char> out) {
  const bool known = info.local_port != 0;
  const asio::ip::address local_address = known ? info.local_address : listener.address();
  const std::uint16_t local_port = known ? info.local_port : listener.port();
  http::fastcgi::RequestWriter writer(out);
  const http::fastcgi::CgiContext context{
      .root = settings_.root,
      .index = settings_.index,
      .extra_params = settings_.params,
      .remote_address = info.client_address_text,
      .remote_port = info.client_port,
      .server_address = address_text(local_address, server_address_),
      .server_port = local_port,
      .scheme = info.scheme,
  };
  if (auto written = http::fastcgi::write_cgi_params(request, context, writer, path_scratch_);
      !written) {
    return std::unexpected(written.error());
  }
  return writer.finish(!body_follows);
}

core::Result<bool> FastCgiExchange::take_head(core::Buffer& response, http::ResponseHead& out,
                                              bool head_request) {
  for (;;) {
    const std::span<char> room = head_bytes_.writable();
    if (room.empty()) {
      return fail(ErrorKind::kUpstreamProtocol, "the CGI response head is too large");
    }
    auto step = reader_.read(view(response.readable()), room.size());
    if (!step) return std::unexpected(step.error());
    response.consume(step->consumed);
    if (!step->data.empty()) {
      std::ranges::copy(step->data, room.begin());
      head_bytes_.commit(step->data.size());
      const std::string_view stdout_bytes = view(head_bytes_.readable());
      auto parsed = head_parser_.parse(stdout_bytes, out, head_request);
      if (!parsed) return std::unexpected(parsed.error());
      if (*parsed == 0) continue;
      early_ = stdout_bytes.substr(*parsed);
      framing_ = out.framing;
      content_length_ = out.content_length;
      return true;
    }
    if (reader_.done()) {
      return fail(ErrorKind::kUpstreamProtocol,
                  "the FastCGI server ended the request without a response head");
    }
    if (step->consumed == 0) return false;
  }
}

core::Task<core::Result<void>> FastCgiExchange::read_response_head(
    net::Transport& upstream, core::Buffer& response, ConnectionDeadline& deadline,
    core::Clock::duration timeout, http::ResponseHead& out, bool head_request) {
  // A retry starts over: what the failed attempt wrote to STDERR is logged first.
  log_stderr();
  reader_.reset();
  head_parser_.reset();
  early_ = {};
  body_bytes_ = 0;
  if (!head_bytes_) head_bytes_ = buffers_.take();
  head_bytes_.clear_from(0);
  bool received_any = false;
  for (;;) {
    if (response.empty()) {
      response.clear_from(0);
    } else if (response.writable().empty()) {
      response.compact();  // a record header or END_REQUEST split by the read
    }
    deadline.wait_for(Waiting::kUpstreamRead, timeout);
    auto [ec, received] = co_await upstream.read_some(to_asio(response.writable()));
    deadline.clear();
    if (ec || received == 0) {
      if (deadline.expired() == Waiting::kUpstreamRead) {
        co_return fail(ErrorKind::kUpstreamTimeout, "the upstream server did not answer in time");
      }
      co_return fail(ErrorKind::kUpstreamReset,
                     received_any ? "the upstream server closed the connection mid-response"
                                  : "the upstream server closed the connection without answering",
                     !received_any);
    }
    received_any = true;
    response.commit(received);
    auto head = take_head(response, out, head_request);
    if (!head) co_return std::unexpected(head.error());
    if (*head) co_return core::Result<void>{};
  }
}

core::Result<http::h1::BodyDecoder::Step> FastCgiExchange::decode(std::string_view in) {
  if (framing_ == http::BodyFraming::kNone) {
    early_ = {};
    auto step = reader_.read(in);
    if (!step) return std::unexpected(step.error());
    return http::h1::BodyDecoder::Step{step->consumed, {}};  // STDOUT read, not relayed
  }
  std::string_view data;
  std::size_t consumed = 0;
  if (!early_.empty()) {
    data = early_;
    early_ = {};
  } else {
    auto step = reader_.read(in);
    if (!step) return std::unexpected(step.error());
    consumed = step->consumed;
    data = step->data;
  }
  body_bytes_ += data.size();
  if (framing_ == http::BodyFraming::kContentLength &&
      (body_bytes_ > content_length_ || (done() && body_bytes_ != content_length_))) {
    return fail(ErrorKind::kUpstreamProtocol,
                "the FastCGI response body does not match its Content-Length");
  }
  return http::h1::BodyDecoder::Step{consumed, data};
}

}  // namespace bulwark::proxy
