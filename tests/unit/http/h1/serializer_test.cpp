#include "http/h1/serializer.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "http/h1/body_decoder.h"
#include "http/h1/request_parser.h"
#include "http/h1/response_parser.h"
#include "http/status.h"

namespace bulwark::http::h1 {
namespace {

std::string request_bytes(const RequestHead& head) {
  std::vector<char> buffer(4096);
  const std::size_t n = write_request_head(head, buffer);
  EXPECT_NE(n, 0u);
  return std::string(buffer.data(), n);
}

std::string response_bytes(const ResponseHead& head) {
  std::vector<char> buffer(4096);
  const std::size_t n = write_response_head(head, buffer);
  EXPECT_NE(n, 0u);
  return std::string(buffer.data(), n);
}

std::vector<std::pair<std::string, std::string>> fields_of(const HeaderMap& headers) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const HeaderField& f : headers) {
    fields.emplace_back(f.name, f.value);
  }
  return fields;
}

// ---- Request heads ------------------------------------------------------------------------------

TEST(Serializer, WritesRequestHead) {
  RequestHead head;
  head.method_token = "GET";
  head.path = "/a?b=c";
  head.headers.add("Host", "example.com");
  head.headers.add("Accept", "*/*");
  EXPECT_EQ(request_bytes(head), "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
}

TEST(Serializer, DerivesRequestFramingAndDropsReceivedFramingFields) {
  RequestHead head;
  head.method_token = "POST";
  head.method = Method::kPost;
  head.path = "/upload";
  head.headers.add("Host", "h");
  head.headers.add("Content-Length", "999");
  head.headers.add("Transfer-Encoding", "gzip");
  head.headers.add("Connection", "keep-alive, X-Secret");
  head.headers.add("X-A", "1");
  head.framing = BodyFraming::kContentLength;
  head.content_length = 12;
  EXPECT_EQ(request_bytes(head),
            "POST /upload HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 12\r\n\r\n");
  head.framing = BodyFraming::kChunked;
  EXPECT_EQ(request_bytes(head),
            "POST /upload HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  head.framing = BodyFraming::kNone;
  EXPECT_EQ(request_bytes(head), "POST /upload HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n");
}

TEST(Serializer, WritesRequestConnectionFromKeepAliveAndUpgrade) {
  RequestHead head;
  head.method_token = "GET";
  head.path = "/";
  head.headers.add("Host", "h");
  head.keep_alive = false;
  EXPECT_EQ(request_bytes(head), "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  head.keep_alive = true;
  head.upgrade = true;
  // The Upgrade field is hop-by-hop (the forwarding filter drops it); the head's protocol says
  // what to ask the next hop for.
  head.protocol = "websocket";
  EXPECT_EQ(request_bytes(head),
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(Serializer, SendsAbsoluteFormAsOriginFormOverHttp11) {
  const std::string text = "GET http://h.example/p?q=1 HTTP/1.0\r\nHost: x\r\n\r\n";
  RequestHead head;
  RequestParser parser(ParserLimits{});
  ASSERT_TRUE(parser.parse(text, head).has_value());
  head.keep_alive = true;
  EXPECT_EQ(request_bytes(head), "GET /p?q=1 HTTP/1.1\r\nHost: h.example\r\n\r\n");
}

TEST(Serializer, FallsBackToMethodNameWhenTokenIsEmpty) {
  RequestHead head;
  head.method = Method::kDelete;
  head.path = "/x";
  EXPECT_EQ(request_bytes(head), "DELETE /x HTTP/1.1\r\n\r\n");
}

TEST(Serializer, ReturnsZeroWhenRequestDoesNotFit) {
  RequestHead head;
  head.method_token = "GET";
  head.path = "/";
  head.headers.add("Host", "h");
  const std::string expected = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  std::vector<char> exact(expected.size());
  EXPECT_EQ(write_request_head(head, exact), expected.size());
  std::vector<char> small(expected.size() - 1);
  EXPECT_EQ(write_request_head(head, small), 0u);
  EXPECT_EQ(write_request_head(head, std::span<char>()), 0u);
}

// ---- Response heads -----------------------------------------------------------------------------

TEST(Serializer, WritesResponseHead) {
  ResponseHead head;
  head.status = 200;
  head.framing = BodyFraming::kContentLength;
  head.content_length = 5;
  head.headers.add("Content-Type", "text/plain");
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
}

TEST(Serializer, UsesReceivedReasonOrTheStandardOne) {
  ResponseHead head;
  head.status = 404;
  head.framing = BodyFraming::kContentLength;
  EXPECT_EQ(response_bytes(head), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  head.reason = "Nope";
  EXPECT_EQ(response_bytes(head), "HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n");
  head.reason = {};
  head.status = 599;
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 599 " + std::string(reason_phrase(599)) + "\r\nContent-Length: 0\r\n\r\n");
}

TEST(Serializer, PassesContentLengthThroughOnlyWithoutFraming) {
  ResponseHead head;
  head.status = 304;
  head.framing = BodyFraming::kNone;
  head.headers.add("ETag", "\"x\"");
  head.headers.add("Content-Length", "1234");
  head.headers.add("Transfer-Encoding", "chunked");
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 1234\r\n\r\n");
  head.status = 200;
  head.framing = BodyFraming::kChunked;
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 200 OK\r\nETag: \"x\"\r\nTransfer-Encoding: chunked\r\n\r\n");
  head.framing = BodyFraming::kUntilClose;
  head.keep_alive = false;
  EXPECT_EQ(response_bytes(head), "HTTP/1.1 200 OK\r\nETag: \"x\"\r\nConnection: close\r\n\r\n");
}

TEST(Serializer, WritesResponseConnectionForTheClientVersion) {
  ResponseHead head;
  head.status = 200;
  head.framing = BodyFraming::kContentLength;
  head.headers.add("Connection", "close");
  head.version_minor = 1;
  head.keep_alive = true;
  EXPECT_EQ(response_bytes(head), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  head.keep_alive = false;
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  head.version_minor = 0;
  EXPECT_EQ(response_bytes(head), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  head.keep_alive = true;
  EXPECT_EQ(response_bytes(head),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(Serializer, SwitchingProtocolsKeepsConnectionUpgrade) {
  ResponseHead head;
  head.status = 101;
  head.framing = BodyFraming::kNone;
  head.headers.add("Upgrade", "websocket");
  EXPECT_EQ(
      response_bytes(head),
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(Serializer, ReturnsZeroWhenResponseDoesNotFit) {
  ResponseHead head;
  head.status = 204;
  const std::string expected = "HTTP/1.1 204 No Content\r\n\r\n";
  std::vector<char> exact(expected.size());
  EXPECT_EQ(write_response_head(head, exact), expected.size());
  std::vector<char> small(expected.size() - 1);
  EXPECT_EQ(write_response_head(head, small), 0u);
}

// ---- Chunk framing ------------------------------------------------------------------------------

TEST(Serializer, WritesChunkHeaders) {
  std::array<char, 18> buffer{};
  EXPECT_EQ(write_chunk_header(0, buffer), "0\r\n");
  EXPECT_EQ(write_chunk_header(5, buffer), "5\r\n");
  EXPECT_EQ(write_chunk_header(255, buffer), "ff\r\n");
  EXPECT_EQ(write_chunk_header(0x1000, buffer), "1000\r\n");
  EXPECT_EQ(write_chunk_header(SIZE_MAX, buffer), "ffffffffffffffff\r\n");
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
  EXPECT_EQ(kCrlf, "\r\n");
}

TEST(Serializer, WritesLastChunkWithTrailers) {
  HeaderMap trailers;
  std::array<char, 64> buffer{};
  std::size_t n = write_last_chunk_with_trailers(trailers, buffer);
  EXPECT_EQ(std::string_view(buffer.data(), n), kLastChunk);
  trailers.add("Checksum", "abc");
  trailers.add("X", "");
  n = write_last_chunk_with_trailers(trailers, buffer);
  EXPECT_EQ(std::string_view(buffer.data(), n), "0\r\nChecksum: abc\r\nX: \r\n\r\n");
  std::array<char, 10> small{};
  EXPECT_EQ(write_last_chunk_with_trailers(trailers, small), 0u);
}

// ---- Round trips --------------------------------------------------------------------------------

TEST(Serializer, RequestRoundTripKeepsFieldsAndFraming) {
  const std::string text =
      "PUT /r?x=1 HTTP/1.1\r\nHost: h.example\r\nX-A:  one \r\nTransfer-Encoding: chunked\r\n"
      "Cookie: a=1\r\ncookie: b=2\r\n\r\n";
  RequestParser parser(ParserLimits{});
  RequestHead first;
  ASSERT_TRUE(parser.parse(text, first).has_value());
  const std::string wire = request_bytes(first);
  RequestParser again(ParserLimits{});
  RequestHead second;
  auto result = again.parse(wire, second);
  ASSERT_TRUE(result.has_value()) << result.error().detail;
  EXPECT_EQ(*result, wire.size());
  EXPECT_EQ(second.method_token, "PUT");
  EXPECT_EQ(second.path, "/r?x=1");
  EXPECT_EQ(second.framing, BodyFraming::kChunked);
  EXPECT_TRUE(second.keep_alive);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Host", "h.example"},
      {"X-A", "one"},
      {"Cookie", "a=1"},
      {"cookie", "b=2"},
      {"Transfer-Encoding", "chunked"}};
  EXPECT_EQ(fields_of(second.headers), expected);
}

TEST(Serializer, ResponseRoundTripKeepsStatusFieldsAndFraming) {
  const std::string text =
      "HTTP/1.1 201 Created\r\nLocation: /r/1\r\nContent-Length: 7\r\nConnection: close\r\n\r\n";
  ResponseParser parser(ParserLimits{});
  ResponseHead first;
  ASSERT_TRUE(parser.parse(text, first, false).has_value());
  const std::string wire = response_bytes(first);
  EXPECT_EQ(wire, text);
  ResponseParser again(ParserLimits{});
  ResponseHead second;
  ASSERT_TRUE(again.parse(wire, second, false).has_value());
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.reason, "Created");
  EXPECT_EQ(second.framing, BodyFraming::kContentLength);
  EXPECT_EQ(second.content_length, 7u);
  EXPECT_FALSE(second.keep_alive);
}

TEST(Serializer, ChunkFramingRoundTripsThroughTheDecoder) {
  const std::vector<std::string> chunks = {"hello", std::string(300, 'x'), "!"};
  std::string wire;
  std::array<char, 18> header{};
  for (const std::string& chunk : chunks) {
    wire += write_chunk_header(chunk.size(), header);
    wire += chunk;
    wire += kCrlf;
  }
  HeaderMap trailers;
  trailers.add("Digest", "sha-256=abc");
  std::array<char, 64> last{};
  wire.append(last.data(), write_last_chunk_with_trailers(trailers, last));

  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kChunked, 0);
  std::string body;
  std::string_view rest = wire;
  while (!decoder.done()) {
    auto step = decoder.decode(rest);
    ASSERT_TRUE(step.has_value()) << step.error().detail;
    ASSERT_TRUE(step->consumed > 0 || decoder.done());
    body.append(step->data);
    if (decoder.done()) {
      EXPECT_EQ(decoder.trailers().get("digest"), "sha-256=abc");
    }
    rest.remove_prefix(step->consumed);
  }
  EXPECT_EQ(body, "hello" + std::string(300, 'x') + "!");
  EXPECT_TRUE(rest.empty());
}

}  // namespace
}  // namespace bulwark::http::h1
