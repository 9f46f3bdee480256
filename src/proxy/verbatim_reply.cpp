// A complete response a filter supplies (LocalReply::verbatim), such as a stored one from the
// cache: its fields go out as they are, and its body, when it comes from a ReplyBody, is streamed
// run by run, so a body still arriving from the origin for another request reaches this client as
// it arrives. Without a known length, HTTP/1.1 clients get it chunked (framed here: send_body
// writes bytes as they are) and HTTP/1.0 clients until the connection closes.

#include <array>
#include <charconv>

#include "http/h1/serializer.h"
#include "proxy/stream_handler.h"

namespace bulwark::proxy {
namespace {

// A run larger than this is sent in several writes, so that one write never holds much more
// than a socket buffer's worth.
constexpr std::uint64_t kMaxRunBytes = 256 * 1024;

bool bodyless_status(std::uint16_t status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

std::string_view length_text(std::uint64_t length, core::Arena& arena) {
  std::array<char, 20> text{};
  const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), length);
  return arena.copy({text.data(), static_cast<std::size_t>(end - text.data())});
}

// Streams `body` after the head; false when the client went away or the body failed.
core::Task<bool> stream_reply_body(ClientSide& client, Stream& stream, ReplyBody& body,
                                   bool chunked) {
  std::array<char, 18> chunk_header{};
  for (;;) {
    const ReplyBody::Run run = co_await body.next(kMaxRunBytes);
    if (run.failed) {
      // The head promised more than will come: only closing tells the client.
      stream.failure = "the stored body could not be completed";
      co_return false;
    }
    if (run.bytes.empty()) {
      const std::array<asio::const_buffer, 1> last = {asio::buffer(http::h1::kLastChunk)};
      co_return co_await client.send_body(chunked ? std::span<const asio::const_buffer>(last)
                                                  : std::span<const asio::const_buffer>{},
                                          true);
    }
    bool written = false;
    if (chunked) {
      const std::array<asio::const_buffer, 3> pieces = {
          asio::buffer(http::h1::write_chunk_header(run.bytes.size(), chunk_header)),
          asio::buffer(run.bytes), asio::buffer(http::h1::kCrlf)};
      written = co_await client.send_body(pieces, false);
    } else {
      const std::array<asio::const_buffer, 1> pieces = {asio::buffer(run.bytes)};
      written = co_await client.send_body(pieces, false);
    }
    if (!written) co_return false;
    stream.body_bytes_sent += run.bytes.size();
  }
}

}  // namespace

core::Task<bool> send_verbatim_reply(ClientSide& client, Stream& stream, const LocalReply& reply,
                                     bool keep_alive) {
  http::ResponseHead& response = stream.response;
  for (const http::HeaderField& field : reply.headers)
    response.headers.add(field.name, field.value);
  const bool head_only = stream.request.method == http::Method::kHead;
  const bool has_body = !bodyless_status(reply.status) && !head_only;
  const std::optional<std::uint64_t> length =
      reply.streamed != nullptr ? reply.streamed_length : std::optional(reply.body.size());
  bool chunked = false;
  if (!bodyless_status(reply.status)) {
    // A HEAD answer says the length the GET would have, when it is known.
    response.headers.remove("content-length");
    if (length) response.headers.add("content-length", length_text(*length, stream.arena()));
  }
  if (!has_body) {
    response.framing = http::BodyFraming::kNone;
  } else if (length) {
    response.framing = http::BodyFraming::kContentLength;
    response.content_length = *length;
  } else if (client.multiplexed() || stream.request.version_minor != 0) {
    response.framing = http::BodyFraming::kChunked;
    chunked = !client.multiplexed();
  } else {
    response.framing = http::BodyFraming::kUntilClose;
    keep_alive = false;
  }
  const bool empty = !has_body || (length && *length == 0);
  finish_local_head(client, stream, keep_alive, empty);
  if (!client.begin_response(response)) co_return false;
  if (empty || reply.streamed == nullptr) {
    const std::array<asio::const_buffer, 1> pieces = {
        asio::const_buffer(reply.body.data(), empty ? 0 : reply.body.size())};
    const bool written = co_await client.send_body(pieces, true);
    stream.body_bytes_sent = empty ? 0 : reply.body.size();
    co_return written&& response.keep_alive;
  }
  const bool written = co_await stream_reply_body(client, stream, *reply.streamed, chunked);
  co_return written&& response.keep_alive;
}

}  // namespace bulwark::proxy
