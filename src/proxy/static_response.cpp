// The data path of a static: route: router/static decides, this writes. The head goes out with
// the first text piece, file segments with sendfile(2), and each wait for the client is bounded
// by the send timeout, as every other write to a client is.

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <memory_resource>
#include <vector>

#include "http/h1/serializer.h"
#include "net/send_file.h"
#include "net/tls/secure_send_file.h"
#include "proxy/downstream_connection.h"
#include "proxy/worker_context.h"
#include "router/static/static_file_resolver.h"

namespace bulwark::proxy {

core::Task<bool> DownstreamConnection::serve_static(Stream& stream,
                                                    const config::StaticAction& action,
                                                    const config::Route& route, bool keep_alive) {
  const http::RequestHead& request = stream.request;
  // In the stream's arena, not in this coroutine's frame (see serve_stream). The deleter only
  // runs the destructor, which closes the file.
  const auto destroy = [](router::StaticReply* reply) { std::destroy_at(reply); };
  const std::unique_ptr<router::StaticReply, decltype(destroy)> reply(
      stream.arena().make<router::StaticReply>(stream.arena().resource()), destroy);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  router::resolve_static({.method = request.method,
                          .target = request.path,
                          .headers = &request.headers,
                          .now = std::chrono::duration_cast<std::chrono::seconds>(now).count()},
                         action, route.match, *reply);

  if (reply->status >= 300 && reply->status != 304) {
    // Redirects and errors go out as every local reply does, error page included.
    std::pmr::vector<http::HeaderField> fields(stream.arena().resource());
    fields.reserve(reply->headers.size());
    for (const router::ReplyHeader& field : reply->headers)
      fields.push_back({field.name, field.value});
    co_return co_await send_local_reply(
        stream, {.status = reply->status, .detail = reply->detail, .headers = fields}, keep_alive);
  }

  http::ResponseHead& response = stream.response;
  response.headers.clear();
  response.status = reply->status;
  response.reason = {};
  response.version_minor = request.version_minor;
  for (const router::ReplyHeader& field : reply->headers)
    response.headers.add(field.name, field.value);
  if (reply->status == 304) {
    response.framing = http::BodyFraming::kNone;
  } else if (request.method == http::Method::kHead) {
    // No body, but the length the GET would have (RFC 9110 §9.3.2).
    std::array<char, 20> length{};
    const auto [end, ec] =
        std::to_chars(length.data(), length.data() + length.size(), reply->content_length);
    response.framing = http::BodyFraming::kNone;
    response.headers.set(
        "content-length",
        stream.arena().copy({length.data(), static_cast<std::size_t>(end - length.data())}));
  } else {
    response.framing = http::BodyFraming::kContentLength;
    response.content_length = reply->content_length;
  }
  finish_local_head(stream, keep_alive, reply->body.empty());

  core::Buffer out = worker_.buffers.take();
  const std::size_t head_size = http::h1::write_response_head(response, out.writable());
  if (head_size == 0) co_return false;  // headers larger than a buffer: nothing sane to send

  // Text waits here to go out with what follows: the head and the first multipart boundary go
  // with the first bytes of the file, in the same TCP segments.
  std::array<asio::const_buffer, net::kMaxPrefixBuffers> pending{
      asio::const_buffer(out.writable().data(), head_size)};
  std::size_t pending_count = 1;
  std::uint64_t pending_body = 0;
  const auto flush = [&]() -> core::Task<bool> {
    const bool written = co_await write({pending.data(), pending_count});
    if (written) stream.body_bytes_sent += pending_body;
    pending_count = 0;
    pending_body = 0;
    co_return written;
  };
  const core::Clock::duration send_timeout = snapshot_->config->timeouts.send;
  for (const router::BodyPiece& piece : reply->body) {
    if (const auto* text = std::get_if<std::pmr::string>(&piece)) {
      if (pending_count == pending.size() && !co_await flush()) co_return false;
      pending[pending_count++] = asio::const_buffer(text->data(), text->size());
      pending_body += text->size();
      continue;
    }
    if (!nodelay_done_) {
      // The file leaves in several segments: the last must not wait for a delayed ACK.
      asio::error_code ignored;
      transport_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      nodelay_done_ = true;
    }
    const auto& segment = std::get<router::FileSegment>(piece);
    const std::span<const asio::const_buffer> prefix(pending.data(), pending_count);
    const auto before_wait = [this, send_timeout] {
      deadline_.wait_for(Waiting::kClientWrite, send_timeout);
    };
    // Not a conditional expression: g++ 12 miscompiles co_await in both of its arms.
    net::SendFileResult sent;
    if (transport_.secure()) {
      sent = co_await net::send_file_secure(transport_, prefix, segment.fd, segment.offset,
                                            segment.length, before_wait);
    } else {
      sent = co_await net::send_file(transport_.socket(), prefix, segment.fd, segment.offset,
                                     segment.length, before_wait);
    }
    deadline_.clear();
    stream.body_bytes_sent += sent.sent + (sent.error ? 0 : pending_body);
    pending_count = 0;
    pending_body = 0;
    if (sent.error) {
      // The head promised a length that will not arrive: only closing tells the client.
      stream.failure = sent.error == std::errc::io_error ? "the file could not be read to its end"
                                                         : "the client did not take the file";
      co_return false;
    }
  }
  if (pending_count != 0 && !co_await flush()) co_return false;
  co_return response.keep_alive;
}

}  // namespace bulwark::proxy
