#include "http/fastcgi/cgi_head_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace bulwark::http::fastcgi {
namespace {

constexpr h1::ParserLimits kLimits{
    .max_request_line = 100, .max_header_bytes = 200, .max_header_count = 4};

core::Result<std::size_t> parse(std::string_view data, ResponseHead& out,
                                bool head_request = false) {
  CgiHeadParser parser(kLimits);
  return parser.parse(data, out, head_request);
}

std::string error_of(std::string_view data) {
  ResponseHead head;
  auto r = parse(data, head);
  EXPECT_FALSE(r.has_value()) << data;
  if (r) return "";
  EXPECT_EQ(r.error().kind, core::ErrorKind::kUpstreamProtocol);
  return std::string(r.error().detail);
}

TEST(CgiHeadParserTest, DefaultsTo200UntilEnd) {
  ResponseHead head;
  const std::string data =
      "Content-type: text/html; charset=UTF-8\r\nX-Powered-By: PHP\r\n\r\nbody";
  auto r = parse(data, head);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, data.size() - 4);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.get("content-type"), "text/html; charset=UTF-8");
  EXPECT_EQ(head.headers.get("x-powered-by"), "PHP");
  EXPECT_EQ(head.framing, BodyFraming::kUntilClose);
  EXPECT_TRUE(head.keep_alive);
}

TEST(CgiHeadParserTest, StatusFieldGivesStatusAndIsRemoved) {
  ResponseHead head;
  ASSERT_TRUE(parse("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", head));
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.reason, "Not Found");
  EXPECT_FALSE(head.headers.has("status"));
  ASSERT_TRUE(parse("status: 201\n\n", head));
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.reason, "");
}

TEST(CgiHeadParserTest, LocationAloneIsARedirect) {
  ResponseHead head;
  ASSERT_TRUE(parse("Location: /elsewhere\r\n\r\n", head));
  EXPECT_EQ(head.status, 302);
  EXPECT_EQ(head.headers.get("location"), "/elsewhere");
  ASSERT_TRUE(parse("Location: http://a.example/\r\nStatus: 301\r\n\r\n", head));
  EXPECT_EQ(head.status, 301);
}

TEST(CgiHeadParserTest, ContentLengthFramesTheBody) {
  ResponseHead head;
  ASSERT_TRUE(parse("Content-Length: 12\r\n\r\n", head));
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 12U);
  ASSERT_TRUE(parse("Content-Length: 12\r\n\r\n", head, true));
  EXPECT_EQ(head.framing, BodyFraming::kNone);  // HEAD
  ASSERT_TRUE(parse("Status: 304\r\n\r\n", head));
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  ASSERT_TRUE(parse("Status: 204\r\n\r\n", head));
  EXPECT_EQ(head.framing, BodyFraming::kNone);
}

TEST(CgiHeadParserTest, ConnectionFieldsAreRemoved) {
  ResponseHead head;
  ASSERT_TRUE(parse(
      "Connection: close\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n", head));
  EXPECT_EQ(head.headers.size(), 1U);
  EXPECT_EQ(head.framing, BodyFraming::kUntilClose);
}

TEST(CgiHeadParserTest, BareLfLinesAndEmptyHead) {
  ResponseHead head;
  auto r = parse("X-A: 1\nX-B: 2\n\nrest", head);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 15U);
  EXPECT_EQ(head.headers.get("x-b"), "2");
  r = parse("\r\n", head);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 2U);
  EXPECT_TRUE(head.headers.empty());
}

TEST(CgiHeadParserTest, IncrementalGivesTheSameHead) {
  const std::string data = "Status: 418 Teapot\r\nX-A: 1\r\n\r\nbody";
  CgiHeadParser parser(kLimits);
  ResponseHead head;
  std::size_t found = 0;
  for (std::size_t n = 1; n <= data.size() && found == 0; ++n) {
    auto r = parser.parse(std::string_view(data).substr(0, n), head, false);
    ASSERT_TRUE(r.has_value());
    found = *r;
  }
  EXPECT_EQ(found, data.size() - 4);
  EXPECT_EQ(head.status, 418);
}

TEST(CgiHeadParserTest, IncompleteIsZero) {
  ResponseHead head;
  auto r = parse("X-A: 1\r\nX-B", head);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 0U);
}

TEST(CgiHeadParserTest, Rejections) {
  EXPECT_EQ(error_of("no colon\r\n\r\n"), "a CGI header line has no field name");
  EXPECT_EQ(error_of(": value\r\n\r\n"), "a CGI header line has no field name");
  EXPECT_EQ(error_of("X A: 1\r\n\r\n"), "a CGI field name is invalid");
  EXPECT_EQ(error_of("X-A : 1\r\n\r\n"), "a CGI field name is invalid");
  EXPECT_EQ(error_of("X-A: 1\r\n continued\r\n\r\n"), "a CGI header line has no field name");
  EXPECT_EQ(error_of("X-A: 1\r\n\tb: c\r\n\r\n"), "a CGI field name is invalid");
  EXPECT_EQ(error_of(std::string_view("X-A: a\0b\r\n\r\n", 12)), "a CGI field value is invalid");
  EXPECT_EQ(error_of("X-A: a\rb\r\n\r\n"), "a CGI field value is invalid");
  EXPECT_EQ(error_of("Status: 99\r\n\r\n"), "a CGI Status field is malformed");
  EXPECT_EQ(error_of("Status: 101 Switching\r\n\r\n"), "a CGI Status field is malformed");
  EXPECT_EQ(error_of("Status: 2000\r\n\r\n"), "a CGI Status field is malformed");
  EXPECT_EQ(error_of("Status: abc\r\n\r\n"), "a CGI Status field is malformed");
  EXPECT_EQ(error_of("Status: 200\r\nStatus: 404\r\n\r\n"), "two CGI Status fields");
  EXPECT_EQ(error_of("Content-Length: x\r\n\r\n"), "a CGI Content-Length is invalid");
  EXPECT_EQ(error_of("Content-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            "a CGI Content-Length is invalid");
  EXPECT_EQ(error_of("A: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n"),
            "the CGI response head has too many fields");
  EXPECT_EQ(error_of("X: " + std::string(250, 'a') + "\r\n\r\n"),
            "the CGI response head is too large");
  EXPECT_EQ(error_of("X: " + std::string(250, 'a')), "the CGI response head is too large");
}

}  // namespace
}  // namespace bulwark::http::fastcgi
