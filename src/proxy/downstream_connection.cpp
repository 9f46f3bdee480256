#include "proxy/downstream_connection.h"

#include <arpa/inet.h>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "filters/request_id/request_id_filter.h"
#include "http/h1/serializer.h"
#include "proxy/error_page.h"
#include "proxy/io.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 1 << 20;

// A client on a dual-stack socket appears as ::ffff:a.b.c.d; logs and headers show a.b.c.d.
asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

DownstreamConnection::DownstreamConnection(WorkerContext& worker, SnapshotPtr snapshot,
                                           std::size_t listener, asio::ip::tcp::socket socket,
                                           const asio::ip::tcp::endpoint& peer)
    : worker_(worker),
      snapshot_(std::move(snapshot)),
      listener_(snapshot_->listeners[listener]),
      socket_(std::move(socket)),
      deadline_(worker.timeouts, socket_),
      parser_(snapshot_->parser_limits),
      request_body_(snapshot_->parser_limits),
      client_address_(unmap(peer.address())),
      client_port_(peer.port()),
      trusted_(snapshot_->trusts(client_address_)) {
  if (client_address_.is_v4()) {
    const auto bytes = client_address_.to_v4().to_bytes();
    inet_ntop(AF_INET, bytes.data(), client_text_.data(), client_text_.size());
  } else {
    const auto bytes = client_address_.to_v6().to_bytes();
    inet_ntop(AF_INET6, bytes.data(), client_text_.data(), client_text_.size());
  }
  client_text_size_ = static_cast<std::uint8_t>(std::strlen(client_text_.data()));
  worker_.connections.insert(this);
}

DownstreamConnection::~DownstreamConnection() {
  if (stream_) finish_stream();
  if (counted_) worker_.limiter.close(client_address_);
  worker_.connections.erase(this);
}

asio::awaitable<void> DownstreamConnection::serve(std::unique_ptr<DownstreamConnection> self) {
  co_await self->run();
}

void DownstreamConnection::start_drain() noexcept {
  if (!idle_) return;  // busy: it closes after the current response
  asio::error_code ignored;
  socket_.cancel(ignored);
}

asio::awaitable<void> DownstreamConnection::run() {
  if (worker_.limiter.enabled()) {
    counted_ = worker_.limiter.try_open(client_address_);
    if (!counted_) {
      start_stream();
      co_await send_local_reply(
          *stream_, {.status = 429, .detail = "too many connections from your address"}, false);
      finish_stream();
      co_await linger_close();
      co_return;
    }
  }
  for (;;) {
    const Next next = co_await read_request_head();
    if (next == Next::kClosed) break;
    bool keep_alive = false;
    if (next == Next::kRejected) {
      linger_ = true;
      co_await send_local_reply(*stream_, *stream_->local_reply, false);
    } else {
      keep_alive = co_await serve_stream(*stream_);
    }
    finish_stream();
    if (!keep_alive || worker_.draining) break;
  }
  if (linger_) co_await linger_close();
}

asio::awaitable<bool> DownstreamConnection::wait_for_first_bytes() {
  // Idle: give the buffer back and read into the connection's small buffer.
  in_.release();
  idle_ = true;
  const config::Timeouts& timeouts = snapshot_->config->timeouts;
  deadline_.wait_for(Waiting::kIdle, requests_ == 0 ? timeouts.header_read : timeouts.idle);
  auto [ec, received] = co_await socket_.async_read_some(asio::buffer(idle_read_), kAsTuple);
  idle_ = false;
  deadline_.clear();
  if (ec || received == 0 || worker_.draining) co_return false;
  in_ = worker_.buffers.take();
  std::memcpy(in_.writable().data(), idle_read_.data(), received);
  in_.commit(received);
  co_return true;
}

asio::awaitable<DownstreamConnection::Next> DownstreamConnection::read_request_head() {
  if (in_.empty()) {
    if (!co_await wait_for_first_bytes()) co_return Next::kClosed;
  }
  start_stream();
  parser_.reset();
  deadline_.reset_expired();
  deadline_.wait_for(Waiting::kRequestHead, snapshot_->config->timeouts.header_read);
  for (;;) {
    auto parsed = parser_.parse(view(in_.readable()), stream_->request);
    if (!parsed) {
      deadline_.clear();
      stream_->respond({.status = static_cast<std::uint16_t>(parsed.error().http_status()),
                        .detail = parsed.error().detail});
      co_return Next::kRejected;
    }
    if (*parsed > 0) {
      deadline_.clear();
      in_.consume(*parsed);
      body_start_ = in_.offset();
      co_return Next::kRequest;
    }
    if (in_.writable().empty()) {
      if (in_.offset() == 0) {  // the parser's limits should have stopped this already
        stream_->respond({.status = 431, .detail = "the request head is too large"});
        co_return Next::kRejected;
      }
      in_.compact();
    }
    auto [ec, received] = co_await socket_.async_read_some(to_asio(in_.writable()), kAsTuple);
    if (ec || received == 0) {
      if (deadline_.expired() == Waiting::kRequestHead) {
        stream_->respond({.status = 408, .detail = "the request head did not arrive in time"});
        co_return Next::kRejected;
      }
      deadline_.clear();
      co_return Next::kClosed;  // the client went away mid-head: nobody to answer
    }
    in_.commit(received);
  }
}

void DownstreamConnection::start_stream() {
  if (stream_) finish_stream();
  stream_ = worker_.take_stream();
  StreamInfo& info = stream_->info();
  info.client_address = client_address_;
  info.client_port = client_port_;
  info.client_address_text = {client_text_.data(), client_text_size_};
  info.scheme = "http";
  info.listener_name = listener_.spec->name;
  info.client_trusted = trusted_;
  info.start = core::Clock::now();
}

void DownstreamConnection::finish_stream() {
  if (!stream_) return;
  log_stream(*stream_);
  stream_->chain.stream_done(
      {.status = stream_->response.status, .completed = stream_->failure.empty()});
  worker_.give_back(std::move(stream_));
}

void DownstreamConnection::log_stream(const Stream& stream) {
  if (!worker_.access_log.enabled()) return;
  const http::RequestHead& request = stream.request;
  const StreamInfo& info = const_cast<Stream&>(stream).info();
  worker_.access_log.log({
      .remote_addr = info.client_address_text,
      .method = request.method_token,
      .target = request.target,
      .version_minor = request.version_minor,
      .status = stream.response.status,
      .bytes_sent = stream.body_bytes_sent,
      .referer = request.headers.get("referer"),
      .user_agent = request.headers.get("user-agent"),
      .host = request.host(),
      .request_id = info.request_id,
      .listener = info.listener_name,
      .upstream_addr = stream.upstream_label,
      .upstream_status = stream.upstream_status,
      .upstream_time = stream.upstream_time,
      .duration = core::Clock::now() - info.start,
      .failure = stream.failure,
  });
}

asio::awaitable<bool> DownstreamConnection::serve_stream(Stream& stream) {
  ++requests_;
  http::RequestHead& request = stream.request;
  const config::Config& config = *snapshot_->config;
  request_body_.start(request.framing, request.content_length);
  const bool has_body = request.framing != http::BodyFraming::kNone;
  // A reply that does not read the request body cannot keep the connection.
  const bool keep_if_local = !has_body;
  if (has_body) linger_ = true;  // cleared below once the body has been read

  if (request.method == http::Method::kConnect) {
    co_return co_await send_local_reply(
        stream, {.status = 501, .detail = "CONNECT tunnels are not supported"}, false);
  }
  if (config.limits.max_body_bytes != 0 && request.framing == http::BodyFraming::kContentLength &&
      request.content_length > config.limits.max_body_bytes) {
    co_return co_await send_local_reply(
        stream, {.status = 413, .detail = "the request body is larger than allowed"}, false);
  }

  stream.chain.build(snapshot_->filters, stream.arena());
  Verdict verdict = stream.chain.request_headers(request, !has_body, stream);
  while (verdict == Verdict::kPause) {
    co_await stream.wait_for_resume();
    verdict = stream.chain.request_headers(request, !has_body, stream);
  }
  if (verdict == Verdict::kBuffer) {
    verdict = stream.respond({.status = 500, .detail = "request body buffering is not available"});
  }
  if (verdict == Verdict::kRespond) {
    co_return co_await send_local_reply(stream, *stream.local_reply, keep_if_local);
  }

  const config::Route* route = listener_.router.route(request.host(), request.path);
  if (route == nullptr) {
    co_return co_await send_local_reply(
        stream, {.status = 404, .detail = "no route matches this request"}, keep_if_local);
  }
  if (const auto* direct = std::get_if<config::DirectResponseAction>(&route->action)) {
    co_return co_await send_local_reply(stream, {.status = direct->status, .body = direct->body},
                                        keep_if_local, direct->headers);
  }
  const auto& action = std::get<config::ProxyAction>(route->action);
  UpstreamLeg leg(*this, stream, snapshot_->clusters[action.cluster_index]);
  co_return co_await leg.run();
}

asio::awaitable<bool> DownstreamConnection::write(std::span<const asio::const_buffer> pieces) {
  deadline_.wait_for(Waiting::kClientWrite, snapshot_->config->timeouts.send);
  auto [ec, written] = co_await asio::async_write(socket_, pieces, kAsTuple);
  deadline_.clear();
  co_return !ec;
}

asio::awaitable<bool> DownstreamConnection::send_local_reply(Stream& stream,
                                                             const LocalReply& reply,
                                                             bool keep_alive, ExtraHeaders extra) {
  http::ResponseHead& response = stream.response;
  response.headers.clear();
  response.status = reply.status;
  response.reason = {};
  response.version_minor = stream.request.version_minor;
  StreamInfo& info = stream.info();
  const std::string_view id_header = snapshot_->config->request_id.header;
  if (info.request_id.empty()) info.request_id = filters::generate_request_id(stream.arena());

  std::string_view body = reply.body;
  std::string_view content_type = reply.content_type;
  if (body.empty() && reply.status >= 400) {
    const ErrorPage page = render_error_page(reply.status, reply.detail, info.request_id,
                                             stream.request.headers.get("accept"));
    body = stream.arena().copy(page.body);
    content_type = page.content_type;
  }
  if (!body.empty()) {
    response.headers.add("content-type",
                         content_type.empty() ? "text/plain; charset=utf-8" : content_type);
  }
  for (const auto& [name, value] : extra)
    response.headers.set(name, value);
  const bool head_only = stream.request.method == http::Method::kHead;
  if (head_only) {
    response.framing = http::BodyFraming::kNone;
    response.headers.set("content-length", stream.arena().copy(std::to_string(body.size())));
  } else {
    response.framing = http::BodyFraming::kContentLength;
    response.content_length = body.size();
  }
  response.keep_alive = keep_alive && stream.request.keep_alive && !worker_.draining;
  if (stream.chain.size() > 0) {
    // A filter cannot replace a local reply with another one: verdicts are not acted on here.
    stream.chain.response_headers(response, body.empty() || head_only, stream);
  } else {
    response.headers.set(id_header, info.request_id);
  }
  if (!reply.detail.empty() && reply.status >= 400) stream.failure = reply.detail;

  core::Buffer out = worker_.buffers.take();
  const std::size_t head_size = http::h1::write_response_head(response, out.writable());
  if (head_size == 0) co_return false;  // headers larger than a buffer: nothing sane to send
  const std::array<asio::const_buffer, 2> pieces = {
      asio::const_buffer(out.writable().data(), head_size),
      asio::const_buffer(body.data(), head_only ? 0 : body.size())};
  const bool written = co_await write(pieces);
  stream.body_bytes_sent = head_only ? 0 : body.size();
  co_return written&& response.keep_alive;
}

asio::awaitable<void> DownstreamConnection::linger_close() {
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  in_.release();
  deadline_.wait_for(Waiting::kRequestBody, kLingerTime);
  for (std::size_t total = 0; total < kLingerBytes;) {
    auto [ec, received] = co_await socket_.async_read_some(asio::buffer(idle_read_), kAsTuple);
    if (ec || received == 0) break;
    total += received;
  }
  deadline_.clear();
}

}  // namespace bulwark::proxy
