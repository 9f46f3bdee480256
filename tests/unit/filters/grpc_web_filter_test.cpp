// The gRPC-Web filter over a fake stream: the request as the backend gets it, the response as
// the client gets it, and the memory rewritten runs live in.

#include "filters/grpc_web/grpc_web_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../proxy/fake_context.h"
#include "filters/grpc_web/run_ring.h"

namespace bulwark::filters {
namespace {

using proxy::BodyChunk;
using proxy::Verdict;
using proxy::fakes::FakeContext;

std::string message(std::string_view payload) {
  std::string out(5, '\0');
  out[4] = static_cast<char>(payload.size());
  return out + std::string(payload);
}

std::string base64(std::string_view bytes) {
  std::string out(grpc_web::base64_size(bytes.size()), '\0');
  grpc_web::base64_encode(bytes, out.data());
  return out;
}

std::string decode(std::string_view text) {
  grpc_web::Base64Decoder decoder;
  std::string out(grpc_web::Base64Decoder::max_output(text.size()), '\0');
  const std::optional<std::size_t> size = decoder.decode(text, out.data());
  EXPECT_TRUE(size && decoder.at_boundary()) << text;
  out.resize(size.value_or(0));
  return out;
}

class GrpcWebFilterTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kBufferSize = 64;

  void request_with(std::string_view content_type, std::string_view accept = {}) {
    request_.method_token = "POST";
    request_.path = "/echo.Echo/Say";
    request_.headers.add("content-type", content_type);
    request_.headers.add("x-grpc-web", "1");
    request_.headers.add("x-user-agent", "grpc-web-javascript/0.1");
    request_.headers.add("content-length", "12");
    if (!accept.empty()) request_.headers.add("accept", accept);
    request_.framing = http::BodyFraming::kContentLength;
    request_.content_length = 12;
    EXPECT_EQ(filter_.on_request_headers(request_, false, ctx_), Verdict::kContinue);
  }

  void grpc_response(bool end_stream = false) {
    response_.headers.add("content-type", "application/grpc+proto");
    response_.framing = end_stream ? http::BodyFraming::kNone : http::BodyFraming::kChunked;
    EXPECT_EQ(filter_.on_response_headers(response_, end_stream, ctx_), Verdict::kContinue);
  }

  // The body runs as the relay hands them over, then the end; what the client gets.
  std::string response_body(const std::vector<std::string>& runs) {
    std::string out;
    for (const std::string& run : runs) {
      BodyChunk chunk(run);
      EXPECT_EQ(filter_.on_response_body(chunk, false, ctx_), Verdict::kContinue);
      out += chunk.data();
    }
    BodyChunk end({});
    EXPECT_EQ(filter_.on_response_body(end, true, ctx_), Verdict::kContinue);
    return out + std::string(end.data());
  }

  FakeContext ctx_;
  GrpcWebFilter filter_{kBufferSize};
  http::RequestHead request_;
  http::ResponseHead response_;
};

TEST_F(GrpcWebFilterTest, BinaryCallGoesToTheBackendAsGrpc) {
  request_with("application/grpc-web+proto");
  EXPECT_EQ(request_.headers.get("content-type"), "application/grpc+proto");
  EXPECT_EQ(request_.headers.get("te"), "trailers");
  EXPECT_EQ(request_.headers.get("x-grpc-web"), "1");
  EXPECT_EQ(request_.headers.get("x-user-agent"), "grpc-web-javascript/0.1");
  // The body goes as it is, with its length.
  EXPECT_EQ(request_.framing, http::BodyFraming::kContentLength);
  EXPECT_EQ(request_.headers.get("content-length"), "12");
  const std::string body = message("hello, world");
  BodyChunk chunk(body);
  EXPECT_EQ(filter_.on_request_body(chunk, true, ctx_), Verdict::kContinue);
  EXPECT_EQ(chunk.data().data(), body.data());
}

TEST_F(GrpcWebFilterTest, BinaryResponseEndsWithTheTrailerFrame) {
  request_with("application/grpc-web");
  grpc_response();
  EXPECT_EQ(response_.headers.get("content-type"), "application/grpc-web+proto");
  ctx_.trailers.add("grpc-status", "0");
  ctx_.trailers.add("Grpc-Message", "ok");
  const std::string first = message("one");
  const std::string second = message("two");
  const std::string body = response_body({first, second});
  EXPECT_EQ(body, first + second + std::string("\x80\x00\x00\x00\x22", 5) +
                      "grpc-status: 0\r\ngrpc-message: ok\r\n");
  EXPECT_TRUE(ctx_.trailers.empty()) << "the client must not get HTTP trailers as well";
}

TEST_F(GrpcWebFilterTest, TextCallIsDecodedInAnySplit) {
  request_with("application/grpc-web-text");
  EXPECT_EQ(request_.headers.get("content-type"), "application/grpc");
  // Decoding changes the length: the body goes chunked.
  EXPECT_EQ(request_.framing, http::BodyFraming::kChunked);
  EXPECT_FALSE(request_.headers.has("content-length"));
  const std::string bytes = message("hi") + message("there");
  const std::string text = base64(message("hi")) + base64(message("there"));
  std::string decoded;
  for (std::size_t at = 0; at < text.size(); at += 5) {
    BodyChunk chunk(std::string_view(text).substr(at, 5));
    const bool last = at + 5 >= text.size();
    EXPECT_EQ(filter_.on_request_body(chunk, last, ctx_), Verdict::kContinue);
    decoded += chunk.data();
  }
  EXPECT_EQ(decoded, bytes);
  EXPECT_TRUE(ctx_.replies.empty());
}

TEST_F(GrpcWebFilterTest, MalformedTextBodyEndsTheCall) {
  request_with("application/grpc-web-text");
  BodyChunk chunk("AAAA*AAA");
  EXPECT_EQ(filter_.on_request_body(chunk, false, ctx_), Verdict::kRespond);
  ASSERT_EQ(ctx_.replies.size(), 1U);
  EXPECT_EQ(ctx_.replies[0].status, 400);
}

TEST_F(GrpcWebFilterTest, TextBodyCutInsideAQuantumEndsTheCall) {
  request_with("application/grpc-web-text");
  BodyChunk chunk("AAAAAA");
  EXPECT_EQ(filter_.on_request_body(chunk, true, ctx_), Verdict::kRespond);
  ASSERT_EQ(ctx_.replies.size(), 1U);
  EXPECT_EQ(ctx_.replies[0].status, 400);
}

TEST_F(GrpcWebFilterTest, TextResponseIsBase64RunByRun) {
  request_with("application/grpc-web-text+proto");
  grpc_response();
  EXPECT_EQ(response_.headers.get("content-type"), "application/grpc-web-text+proto");
  ctx_.trailers.add("grpc-status", "0");
  const std::string first = message("a");    // 6 bytes
  const std::string second = message("bc");  // 7 bytes: padded
  const std::string body = response_body({first, second});
  std::string frame = std::string("\x80\x00\x00\x00\x10", 5) + "grpc-status: 0\r\n";
  EXPECT_EQ(body, base64(first) + base64(second) + base64(frame));
  EXPECT_EQ(decode(body), first + second + frame);
}

TEST_F(GrpcWebFilterTest, AcceptAsksForATextResponseToABinaryCall) {
  request_with("application/grpc-web", "application/grpc-web-text");
  grpc_response();
  EXPECT_EQ(response_.headers.get("content-type"), "application/grpc-web-text+proto");
  const std::string body = response_body({message("x")});
  EXPECT_EQ(body, base64(message("x")));  // no trailers: no frame
}

TEST_F(GrpcWebFilterTest, TrailersOnlyResponseStaysInTheHead) {
  request_with("application/grpc-web+proto");
  response_.headers.add("content-type", "application/grpc");
  response_.headers.add("grpc-status", "5");
  response_.headers.add("grpc-message", "no such thing");
  response_.framing = http::BodyFraming::kContentLength;
  EXPECT_EQ(filter_.on_response_headers(response_, false, ctx_), Verdict::kContinue);
  EXPECT_EQ(response_.headers.get("content-type"), "application/grpc-web");
  EXPECT_EQ(response_.headers.get("grpc-status"), "5");
  EXPECT_EQ(response_.framing, http::BodyFraming::kContentLength);
  EXPECT_EQ(response_body({}), "");
}

TEST_F(GrpcWebFilterTest, ResponseWithALengthGoesChunked) {
  request_with("application/grpc-web");
  response_.headers.add("content-type", "application/grpc");
  response_.headers.add("content-length", "6");
  response_.framing = http::BodyFraming::kContentLength;
  response_.content_length = 6;
  EXPECT_EQ(filter_.on_response_headers(response_, false, ctx_), Verdict::kContinue);
  EXPECT_EQ(response_.framing, http::BodyFraming::kChunked);
  EXPECT_FALSE(response_.headers.has("content-length"));
}

TEST_F(GrpcWebFilterTest, ResponseThatIsNotGrpcPassesAsItIs) {
  request_with("application/grpc-web-text");
  response_.status = 502;
  response_.headers.add("content-type", "text/html");
  response_.framing = http::BodyFraming::kChunked;
  EXPECT_EQ(filter_.on_response_headers(response_, false, ctx_), Verdict::kContinue);
  EXPECT_EQ(response_.headers.get("content-type"), "text/html");
  ctx_.trailers.add("x-kept", "1");
  EXPECT_EQ(response_body({"<html>"}), "<html>");
  EXPECT_EQ(ctx_.trailers.get("x-kept"), "1");
}

TEST_F(GrpcWebFilterTest, OtherRequestsAreUntouched) {
  for (const std::string_view type : {"application/grpc", "application/json", ""}) {
    GrpcWebFilter filter(kBufferSize);
    http::RequestHead request;
    if (!type.empty()) request.headers.add("content-type", type);
    request.headers.add("content-length", "4");
    request.framing = http::BodyFraming::kContentLength;
    EXPECT_EQ(filter.on_request_headers(request, false, ctx_), Verdict::kContinue);
    EXPECT_EQ(request.headers.get("content-type"), type);
    EXPECT_FALSE(request.headers.has("te"));
    EXPECT_EQ(request.framing, http::BodyFraming::kContentLength);
    BodyChunk chunk("!!!!");
    EXPECT_EQ(filter.on_request_body(chunk, true, ctx_), Verdict::kContinue);
    EXPECT_EQ(chunk.data(), "!!!!");
    http::ResponseHead response;
    response.headers.add("content-type", "application/grpc");
    EXPECT_EQ(filter.on_response_headers(response, false, ctx_), Verdict::kContinue);
    EXPECT_EQ(response.headers.get("content-type"), "application/grpc");
  }
}

// The runs of one write stay intact until the next write, and a long stream reuses the memory.
TEST(GrpcWebRunRingTest, RunsOfOneWriteStayValidAndMemoryIsReused) {
  core::Arena arena;
  constexpr std::size_t kPerWrite = 100;
  grpc_web::RunRing ring(kPerWrite);
  const char* lowest = nullptr;
  const char* highest = nullptr;
  for (int write = 0; write < 1000; ++write) {
    // Runs of varying sizes that add up to at most kPerWrite.
    std::vector<std::pair<const char*, std::string>> runs;
    std::size_t total = 0;
    for (std::size_t size = 7 + write % 23; total + size <= kPerWrite; size = 1 + (size * 7) % 41) {
      char* room = ring.reserve(size + 5, arena);  // more room than it uses, as decoding does
      const std::string bytes(size, static_cast<char>('a' + (write + runs.size()) % 26));
      std::ranges::copy(bytes, room);
      ring.commit(size);
      runs.emplace_back(room, bytes);
      total += size;
      lowest = lowest == nullptr ? room : std::min<const char*>(lowest, room);
      highest = std::max<const char*>(highest, room + size);
    }
    for (const auto& [at, bytes] : runs)
      ASSERT_EQ(std::string_view(at, bytes.size()), bytes) << "write " << write;
  }
  EXPECT_LE(static_cast<std::size_t>(highest - lowest), 3 * kPerWrite);
}

TEST(GrpcWebRunRingTest, ARunLargerThanAWriteGetsLargerMemory) {
  core::Arena arena;
  grpc_web::RunRing ring(8);
  char* small = ring.reserve(8, arena);
  std::ranges::fill_n(small, 8, 's');
  ring.commit(8);
  char* large = ring.reserve(100, arena);
  std::ranges::fill_n(large, 100, 'l');
  ring.commit(100);
  EXPECT_EQ(std::string_view(small, 8), "ssssssss");
}

}  // namespace
}  // namespace bulwark::filters
