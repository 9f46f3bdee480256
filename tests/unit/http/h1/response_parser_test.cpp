#include "http/h1/response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;

core::Result<std::size_t> parse_all(std::string_view text, ResponseHead& head,
                                    bool request_was_head = false,
                                    const ParserLimits& limits = {}) {
  ResponseParser parser(limits);
  return parser.parse(text, head, request_was_head);
}

core::Result<std::size_t> parse_bytewise(std::string_view text, ResponseHead& head,
                                         bool request_was_head = false,
                                         const ParserLimits& limits = {}) {
  ResponseParser parser(limits);
  for (std::size_t n = 1; n <= text.size(); ++n) {
    auto result = parser.parse(text.substr(0, n), head, request_was_head);
    if (!result || *result != 0) return result;
  }
  return 0;
}

ResponseHead parse_ok(std::string_view text, bool request_was_head = false) {
  ResponseHead head;
  auto result = parse_all(text, head, request_was_head);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().detail);
  if (result) {
    EXPECT_EQ(*result, text.size());
  }
  return head;
}

// Every response error is the backend's fault, however it arrives.
void expect_rejected(std::string_view text, bool request_was_head = false,
                     const ParserLimits& limits = {}) {
  SCOPED_TRACE(testing::Message() << "response: " << testing::PrintToString(std::string(text)));
  ResponseHead a;
  ResponseHead b;
  auto all = parse_all(text, a, request_was_head, limits);
  auto bytes = parse_bytewise(text, b, request_was_head, limits);
  ASSERT_FALSE(all.has_value());
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(all.error().kind, ErrorKind::kUpstreamProtocol);
  EXPECT_EQ(bytes.error().kind, ErrorKind::kUpstreamProtocol);
  EXPECT_EQ(all.error().detail, bytes.error().detail);
  EXPECT_FALSE(all.error().detail.empty());
}

TEST(ResponseParser, ParsesSimpleResponse) {
  const ResponseHead head =
      parse_ok("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.reason, "OK");
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 5u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.headers.size(), 2u);
  EXPECT_EQ(head.headers.get("content-type"), "text/plain");
}

TEST(ResponseParser, ByteByByteGivesTheSameHeadAsAllAtOnce) {
  const std::vector<std::string> samples = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n",
      "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n",
      "HTTP/1.1 204\r\n\r\n",
  };
  for (const std::string& text : samples) {
    SCOPED_TRACE(text);
    ResponseHead all;
    ResponseHead bytes;
    auto a = parse_all(text, all);
    auto b = parse_bytewise(text, bytes);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(all.status, bytes.status);
    EXPECT_EQ(all.reason, bytes.reason);
    EXPECT_EQ(all.framing, bytes.framing);
    EXPECT_EQ(all.keep_alive, bytes.keep_alive);
    EXPECT_EQ(all.headers.size(), bytes.headers.size());
  }
}

TEST(ResponseParser, AcceptsEmptyOrMissingReason) {
  const ResponseHead with_space = parse_ok("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(with_space.status, 200);
  EXPECT_EQ(with_space.reason, "");
  const ResponseHead without = parse_ok("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(without.reason, "");
  const ResponseHead long_reason = parse_ok("HTTP/1.1 503 Service \tUnavailable\r\n\r\n");
  EXPECT_EQ(long_reason.reason, "Service \tUnavailable");
}

TEST(ResponseParser, AcceptsStatusCodesFrom100To999) {
  EXPECT_EQ(parse_ok("HTTP/1.1 100 Continue\r\n\r\n").status, 100);
  EXPECT_EQ(parse_ok("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n").status, 999);
}

TEST(ResponseParser, RejectsMalformedStatusCodes) {
  for (const char* line :
       {"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 Low", "HTTP/1.1 abc OK",
        "HTTP/1.1  200 OK", "HTTP/1.1 -20 OK", "HTTP/1.1 200OK", "HTTP/1.1"}) {
    expect_rejected(std::string(line) + "\r\nContent-Length: 0\r\n\r\n");
  }
}

TEST(ResponseParser, RejectsControlBytesInReason) {
  expect_rejected("HTTP/1.1 200 O\x01K\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\r\n\r\n");
}

TEST(ResponseParser, RejectsUnsupportedVersions) {
  expect_rejected("HTTP/2.0 200 OK\r\n\r\n");
  expect_rejected("HTTP/1.2 200 OK\r\n\r\n");
  expect_rejected("ICY 200 OK\r\n\r\n");
}

TEST(ResponseParser, HeadResponseHasNoBodyButKeepsContentLength) {
  const ResponseHead head = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true);
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  EXPECT_EQ(head.content_length, 1234u);
  EXPECT_EQ(head.headers.get("content-length"), "1234");
  EXPECT_TRUE(head.keep_alive);
  const ResponseHead chunked =
      parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true);
  EXPECT_EQ(chunked.framing, BodyFraming::kNone);
}

TEST(ResponseParser, StillValidatesContentLengthWithoutBody) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", true);
  expect_rejected("HTTP/1.1 304 Not Modified\r\nContent-Length: 1, 2\r\n\r\n");
}

TEST(ResponseParser, InformationalNoContentAndNotModifiedHaveNoBody) {
  for (const char* status : {"100 Continue", "101 Switching Protocols", "103 Early Hints",
                             "204 No Content", "304 Not Modified"}) {
    const ResponseHead head =
        parse_ok(std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 10\r\n\r\n");
    EXPECT_EQ(head.framing, BodyFraming::kNone) << status;
    EXPECT_TRUE(head.keep_alive) << status;
  }
}

TEST(ResponseParser, ChunkedFinalCodingMeansChunked) {
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing,
            BodyFraming::kChunked);
  EXPECT_EQ(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n").framing,
            BodyFraming::kChunked);
}

// bulwark re-frames bodies; another transfer coding would reach the client unannounced.
TEST(ResponseParser, RejectsTransferCodingsOtherThanChunked) {
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
  expect_rejected(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
}

TEST(ResponseParser, RejectsChunkedThatIsNotFinal) {
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
  expect_rejected(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n");
}

TEST(ResponseParser, WithoutFramingFieldsReadsUntilClose) {
  const ResponseHead head = parse_ok("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
  EXPECT_EQ(head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(head.keep_alive);
}

TEST(ResponseParser, RejectsBothContentLengthAndTransferEncoding) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseParser, RejectsDifferingContentLengths) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n");
  const ResponseHead same =
      parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(same.content_length, 5u);
}

TEST(ResponseParser, RejectsTransferEncodingOnHttp10) {
  expect_rejected("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseParser, DerivesKeepAlive) {
  EXPECT_TRUE(parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_FALSE(
      parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse_ok("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
                  .keep_alive);
  EXPECT_FALSE(parse_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(ResponseParser, AppliesTheFieldRulesOfRequests) {
  expect_rejected("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nX : a\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\n: a\r\n\r\n");
}

TEST(ResponseParser, ParsesInterimThenFinalResponse) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final_head = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  const std::string stream = interim + final_head;
  ResponseParser parser(ParserLimits{});
  ResponseHead head;
  auto first = parser.parse(stream, head, false);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, interim.size());
  EXPECT_EQ(head.status, 100);
  parser.reset();
  auto second = parser.parse(std::string_view(stream).substr(*first), head, false);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, final_head.size());
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
}

TEST(ResponseParser, EnforcesLimits) {
  ParserLimits limits;
  limits.max_request_line = 32;
  limits.max_header_bytes = 128;
  limits.max_header_count = 3;
  expect_rejected("HTTP/1.1 200 " + std::string(40, 'x') + "\r\n\r\n", false, limits);
  expect_rejected("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'v') + "\r\n\r\n", false, limits);
  expect_rejected("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", false, limits);
}

}  // namespace
}  // namespace bulwark::http::h1
