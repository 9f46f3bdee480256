// The data path of a static: route: router/static decides, this writes. The head goes out with
// the first text piece, file segments with sendfile(2), and each wait for the client is bounded
// by the send timeout, as every other write to a client is.

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <memory_resource>
#include <vector>

#include "proxy/stream_handler.h"
#include "router/static/static_file_resolver.h"

namespace bulwark::proxy {

core::Task<bool> StreamHandler::serve_static(const config::StaticAction& action,
                                             const config::Route& route, bool keep_alive) {
  Stream& stream = stream_;
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
    co_return co_await this->reply(
        {.status = reply->status, .detail = reply->detail, .headers = fields}, keep_alive);
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
  finish_local_head(client_, stream, keep_alive, reply->body.empty());
  // Headers larger than a buffer: nothing sane to send.
  if (!client_.begin_response(response)) co_return false;

  // Text waits here to go out with what follows: the head and the first multipart boundary go
  // with the first bytes of the file, in the same TCP segments.
  std::array<asio::const_buffer, net::kMaxPrefixBuffers - 1> pending{};
  std::size_t pending_count = 0;
  std::uint64_t pending_body = 0;
  const auto flush = [&](bool end_stream) -> core::Task<bool> {
    const bool written = co_await client_.send_body({pending.data(), pending_count}, end_stream);
    if (written) stream.body_bytes_sent += pending_body;
    pending_count = 0;
    pending_body = 0;
    co_return written;
  };
  for (const router::BodyPiece& piece : reply->body) {
    if (const auto* text = std::get_if<std::pmr::string>(&piece)) {
      if (pending_count == pending.size() && !co_await flush(false)) co_return false;
      pending[pending_count++] = asio::const_buffer(text->data(), text->size());
      pending_body += text->size();
      continue;
    }
    const auto& segment = std::get<router::FileSegment>(piece);
    const net::SendFileResult sent = co_await client_.send_file(
        {pending.data(), pending_count}, segment.fd, segment.offset, segment.length);
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
  if (!co_await flush(true)) co_return false;
  co_return response.keep_alive;
}

}  // namespace bulwark::proxy
