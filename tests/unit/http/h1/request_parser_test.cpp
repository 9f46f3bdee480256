#include "http/h1/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;

core::Result<std::size_t> parse_all(std::string_view text, RequestHead& head,
                                    const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  return parser.parse(text, head);
}

// Feeds the message one byte at a time, as a slow client would, and stops at the first answer.
core::Result<std::size_t> parse_bytewise(std::string_view text, RequestHead& head,
                                         const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  for (std::size_t n = 1; n <= text.size(); ++n) {
    auto result = parser.parse(text.substr(0, n), head);
    if (!result || *result != 0) return result;
  }
  return 0;
}

// Asserts that `text` is refused with `kind`, whether it arrives at once or byte by byte, with
// the same detail both ways.
void expect_rejected(std::string_view text, ErrorKind kind = ErrorKind::kBadRequest,
                     const ParserLimits& limits = {}) {
  SCOPED_TRACE(testing::Message() << "request: " << testing::PrintToString(std::string(text)));
  RequestHead all_head;
  RequestHead byte_head;
  auto all = parse_all(text, all_head, limits);
  auto bytes = parse_bytewise(text, byte_head, limits);
  ASSERT_FALSE(all.has_value());
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(all.error().kind, kind) << all.error().detail;
  EXPECT_EQ(bytes.error().kind, kind) << bytes.error().detail;
  EXPECT_EQ(all.error().detail, bytes.error().detail);
  EXPECT_FALSE(all.error().detail.empty());
}

void expect_rejected_with(std::string_view text, std::string_view detail) {
  RequestHead head;
  auto result = parse_all(text, head);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().detail, detail);
}

RequestHead parse_ok(std::string_view text, const ParserLimits& limits = {}) {
  RequestHead head;
  auto result = parse_all(text, head, limits);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().detail);
  if (result) {
    EXPECT_EQ(*result, text.size());
  }
  return head;
}

// Replaces '@' with NUL, which a string literal cannot hold in the middle.
std::string with_nul(std::string text) {
  for (char& c : text) {
    if (c == '@') c = '\0';
  }
  return text;
}

std::vector<std::pair<std::string, std::string>> fields_of(const RequestHead& head) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const HeaderField& f : head.headers) {
    fields.emplace_back(f.name, f.value);
  }
  return fields;
}

// ---- Accepted messages ------------------------------------------------------------------------

TEST(RequestParser, ParsesSimpleGet) {
  const std::string text =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  const RequestHead head = parse_ok(text);
  EXPECT_EQ(head.method_token, "GET");
  EXPECT_EQ(head.method, Method::kGet);
  EXPECT_EQ(head.target, "/index.html?q=1");
  EXPECT_EQ(head.target_form, TargetForm::kOrigin);
  EXPECT_EQ(head.path, "/index.html?q=1");
  EXPECT_TRUE(head.scheme.empty());
  EXPECT_TRUE(head.authority.empty());
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  EXPECT_EQ(head.content_length, 0u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);
  EXPECT_FALSE(head.upgrade);
  EXPECT_EQ(head.host(), "example.com");
  const std::vector<std::pair<std::string, std::string>> expected = {{"Host", "example.com"},
                                                                     {"Accept", "*/*"}};
  EXPECT_EQ(fields_of(head), expected);
}

TEST(RequestParser, ViewsPointIntoTheInput) {
  const std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestHead head;
  ASSERT_TRUE(parse_all(text, head).has_value());
  EXPECT_EQ(head.method_token.data(), text.data());
  EXPECT_EQ(head.headers.begin()->value.data(), text.data() + text.find("a\r\n"));
}

TEST(RequestParser, ReturnsZeroForEveryIncompletePrefix) {
  const std::string text = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
  RequestParser parser(ParserLimits{});
  RequestHead head;
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto result = parser.parse(std::string_view(text).substr(0, n), head);
    ASSERT_TRUE(result.has_value()) << n;
    EXPECT_EQ(*result, 0u) << n;
  }
  auto result = parser.parse(text, head);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, text.size());
}

TEST(RequestParser, ByteByByteGivesTheSameHeadAsAllAtOnce) {
  const std::vector<std::string> samples = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX:  y  \r\n\r\n",
      "GET http://h.example:8080/p?q HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n",
      "OPTIONS * HTTP/1.0\r\n\r\n",
      "CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n",
  };
  for (const std::string& text : samples) {
    SCOPED_TRACE(text);
    RequestHead all;
    RequestHead bytes;
    auto a = parse_all(text, all);
    auto b = parse_bytewise(text, bytes);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(all.method_token, bytes.method_token);
    EXPECT_EQ(all.target, bytes.target);
    EXPECT_EQ(all.target_form, bytes.target_form);
    EXPECT_EQ(all.path, bytes.path);
    EXPECT_EQ(all.version_minor, bytes.version_minor);
    EXPECT_EQ(fields_of(all), fields_of(bytes));
    EXPECT_EQ(all.framing, bytes.framing);
    EXPECT_EQ(all.keep_alive, bytes.keep_alive);
  }
}

TEST(RequestParser, SkipsEmptyLinesBeforeTheRequestLine) {
  const std::string text = "\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  const RequestHead head = parse_ok(text);
  EXPECT_EQ(head.target, "/a");
}

TEST(RequestParser, ReturnsHeadLengthSoPipelinedRequestsCanBeFound) {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi";
  const std::string third = "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string stream = first + second + third;
  RequestParser parser(ParserLimits{});
  RequestHead head;
  std::string_view rest = stream;

  auto r1 = parser.parse(rest, head);
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(*r1, first.size());
  EXPECT_EQ(head.path, "/1");
  rest.remove_prefix(*r1);

  parser.reset();
  auto r2 = parser.parse(rest, head);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(head.path, "/2");
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.headers.size(), 2u);  // the fields of the first request are gone
  rest.remove_prefix(*r2 + head.content_length);

  parser.reset();
  auto r3 = parser.parse(rest, head);
  ASSERT_TRUE(r3.has_value());
  EXPECT_EQ(*r3, third.size());
  EXPECT_EQ(head.path, "/3");
}

TEST(RequestParser, TrimsOptionalWhitespaceAroundFieldValues) {
  const RequestHead head = parse_ok("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a  b \t\r\nX-B:\r\n\r\n");
  EXPECT_EQ(head.headers.get("x-a"), "a  b");
  EXPECT_TRUE(head.headers.has("X-B"));
  EXPECT_EQ(head.headers.get("x-b"), "");
  EXPECT_EQ(head.headers.get("host"), "h");
}

TEST(RequestParser, AcceptsObsTextAndTabInFieldValues) {
  const RequestHead head = parse_ok("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\tbar\r\n\r\n");
  EXPECT_EQ(head.headers.get("x"), "caf\xc3\xa9\tbar");
}

TEST(RequestParser, KeepsDuplicateFieldsInOrder) {
  const RequestHead head =
      parse_ok("GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX: 1\r\ncookie: b=2\r\n\r\n");
  EXPECT_EQ(head.headers.count("cookie"), 2u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Host", "h"}, {"Cookie", "a=1"}, {"X", "1"}, {"cookie", "b=2"}};
  EXPECT_EQ(fields_of(head), expected);
}

TEST(RequestParser, MapsMethodTokens) {
  const std::vector<std::pair<std::string, Method>> methods = {
      {"GET", Method::kGet},     {"HEAD", Method::kHead},      {"POST", Method::kPost},
      {"PUT", Method::kPut},     {"DELETE", Method::kDelete},  {"TRACE", Method::kTrace},
      {"PATCH", Method::kPatch}, {"PROPFIND", Method::kOther}, {"get", Method::kOther},
  };
  for (const auto& [token, method] : methods) {
    const std::string text = token + " / HTTP/1.1\r\nHost: h\r\n\r\n";
    const RequestHead head = parse_ok(text);
    EXPECT_EQ(head.method_token, token);
    EXPECT_EQ(head.method, method) << token;
  }
}

TEST(RequestParser, ParsesHttp10WithoutHost) {
  const RequestHead head = parse_ok("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.version_minor, 0);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_TRUE(head.headers.empty());
}

// ---- Target forms -----------------------------------------------------------------------------

TEST(RequestParser, SplitsAbsoluteFormAndSetsHostFromTheAuthority) {
  const RequestHead head =
      parse_ok("GET http://api.example:8080/v1/items?x=1 HTTP/1.1\r\nHost: other\r\n\r\n");
  EXPECT_EQ(head.target_form, TargetForm::kAbsolute);
  EXPECT_EQ(head.scheme, "http");
  EXPECT_EQ(head.authority, "api.example:8080");
  EXPECT_EQ(head.path, "/v1/items?x=1");
  EXPECT_EQ(head.headers.get("host"), "api.example:8080");
  EXPECT_EQ(head.host(), "api.example:8080");
}

TEST(RequestParser, AbsoluteFormWithEmptyPathGetsSlash) {
  const RequestHead head =
      parse_ok("GET HTTPS://Example.COM HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(head.scheme, "HTTPS");
  EXPECT_EQ(head.authority, "Example.COM");
  EXPECT_EQ(head.path, "/");
}

TEST(RequestParser, AbsoluteFormOnHttp10GetsAHostField) {
  const RequestHead head = parse_ok("GET http://h.example/ HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.headers.get("host"), "h.example");
}

TEST(RequestParser, RejectsAbsoluteFormWithUserinfo) {
  expect_rejected("GET http://user@evil.example/ HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsAbsoluteFormWithoutHost) {
  expect_rejected("GET http:///path HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsAbsoluteFormWithQueryButNoPath) {
  expect_rejected("GET http://h.example?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsOtherSchemesAndRelativeTargets) {
  expect_rejected("GET ftp://h.example/ HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GET index.html HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GET h.example:80 HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, AcceptsAuthorityFormOnlyForConnect) {
  const RequestHead head =
      parse_ok("CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n");
  EXPECT_EQ(head.method, Method::kConnect);
  EXPECT_EQ(head.target_form, TargetForm::kAuthority);
  EXPECT_EQ(head.path, "h.example:443");
  const RequestHead v6 = parse_ok("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
  EXPECT_EQ(v6.target_form, TargetForm::kAuthority);
}

TEST(RequestParser, RejectsConnectWithoutAuthorityForm) {
  expect_rejected("CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("CONNECT h.example HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("CONNECT h.example: HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("CONNECT u@h.example:443 HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("CONNECT http://h.example:443/ HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, AcceptsAsteriskFormOnlyForOptions) {
  const RequestHead head = parse_ok("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head.target_form, TargetForm::kAsterisk);
  EXPECT_EQ(head.path, "*");
  expect_rejected("GET * HTTP/1.1\r\nHost: h\r\n\r\n");
}

// ---- Request-line rejections ------------------------------------------------------------------

TEST(RequestParser, RejectsUnsupportedVersions) {
  expect_rejected_with("GET / HTTP/2.0\r\nHost: h\r\n\r\n", "unsupported HTTP version");
  expect_rejected_with("GET / HTTP/1.2\r\nHost: h\r\n\r\n", "unsupported HTTP version");
  expect_rejected_with("GET / HTTP/0.9\r\nHost: h\r\n\r\n", "unsupported HTTP version");
  expect_rejected("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsMalformedVersions) {
  expect_rejected("GET / http/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GET / HTTP/1.1 \r\nHost: h\r\n\r\n");
  expect_rejected("GET / HTTP/11\r\nHost: h\r\n\r\n");
  expect_rejected("GET / HTTP/1.10\r\nHost: h\r\n\r\n");
  expect_rejected("GET /\r\nHost: h\r\n\r\n");  // HTTP/0.9 style
}

TEST(RequestParser, RejectsMoreThanOneSpaceBetweenParts) {
  expect_rejected_with("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "more than one space in request line");
  expect_rejected_with("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", "more than one space in request line");
  expect_rejected("GET  / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsOtherWhitespaceInRequestLine) {
  expect_rejected("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GET /\tHTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected(" GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsEmptyTarget) {
  expect_rejected_with("GET \r\nHost: h\r\n\r\n", "empty request target");
}

TEST(RequestParser, RejectsInvalidTokenCharactersInMethod) {
  expect_rejected("G(T / HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GE\"T / HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected("GET/ / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsInvalidBytesInTarget) {
  expect_rejected(
      std::string("GET /a\x01"
                  "b HTTP/1.1\r\nHost: h\r\n\r\n"));
  expect_rejected("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_rejected(with_nul("GET /a@b HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(RequestParser, RejectsBareCrInRequestLine) {
  expect_rejected_with("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", "bare CR in request line");
  expect_rejected("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n");
}

// ---- Line terminators and control bytes -------------------------------------------------------

TEST(RequestParser, RejectsBareLfAsLineTerminator) {
  expect_rejected_with("GET / HTTP/1.1\nHost: h\r\n\r\n", "bare LF as line terminator");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\n\n");
  expect_rejected("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, RejectsBareCrInFieldLine) {
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX\r: a\r\n\r\n");
}

TEST(RequestParser, RejectsNulInFieldValue) {
  expect_rejected(with_nul("GET / HTTP/1.1\r\nHost: h\r\nX: a@b\r\n\r\n"));
}

TEST(RequestParser, RejectsControlBytesInFieldValue) {
  expect_rejected(
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
      "b\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b[31m\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n");
}

TEST(RequestParser, RejectsObsFold) {
  expect_rejected_with("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
                       "obs-fold or leading whitespace in field line");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n");
}

TEST(RequestParser, RejectsWhitespaceBeforeTheFirstField) {
  expect_rejected("GET / HTTP/1.1\r\n Host: h\r\n\r\n");
}

TEST(RequestParser, RejectsWhitespaceBetweenFieldNameAndColon) {
  expect_rejected_with("GET / HTTP/1.1\r\nHost : h\r\n\r\n",
                       "whitespace between field name and colon");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\n");
}

TEST(RequestParser, RejectsEmptyFieldName) {
  expect_rejected_with("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", "empty field name");
}

TEST(RequestParser, RejectsInvalidTokenCharactersInFieldName) {
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX y: 1\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: 1\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n");
}

// ---- Host ---------------------------------------------------------------------------------------

TEST(RequestParser, RejectsHttp11WithoutHost) {
  expect_rejected_with("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "missing Host field");
}

TEST(RequestParser, RejectsMoreThanOneHost) {
  expect_rejected_with("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "more than one Host field");
  expect_rejected("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n");
}

TEST(RequestParser, RejectsInvalidHostValues) {
  expect_rejected("GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: user@h\r\n\r\n");
  expect_rejected("GET / HTTP/1.1\r\nHost: h/path\r\n\r\n");
}

TEST(RequestParser, AcceptsEmptyAndPortAndIpv6Hosts) {
  EXPECT_EQ(parse_ok("GET / HTTP/1.1\r\nHost:\r\n\r\n").host(), "");
  EXPECT_EQ(parse_ok("GET / HTTP/1.1\r\nHost: h.example:8080\r\n\r\n").host(), "h.example:8080");
  EXPECT_EQ(parse_ok("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n").host(),
            "[2001:db8::1]:80");
}

// ---- Framing ------------------------------------------------------------------------------------

TEST(RequestParser, ParsesContentLength) {
  const RequestHead head = parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 42u);
  const RequestHead zero = parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(zero.framing, BodyFraming::kContentLength);
  EXPECT_EQ(zero.content_length, 0u);
  const RequestHead max =
      parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n");
  EXPECT_EQ(max.content_length, 18446744073709551615u);
}

TEST(RequestParser, CollapsesIdenticalContentLengths) {
  const RequestHead dup =
      parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(dup.framing, BodyFraming::kContentLength);
  EXPECT_EQ(dup.content_length, 5u);
  const RequestHead list = parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 , 5\r\n\r\n");
  EXPECT_EQ(list.content_length, 5u);
}

TEST(RequestParser, RejectsDifferingContentLengths) {
  expect_rejected_with(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "differing Content-Length values");
  expect_rejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n");
}

TEST(RequestParser, RejectsInvalidContentLength) {
  for (const char* value : {"+5", "-1", "0x10", "5 5", "5,", "", "1e3", "five", "5;"}) {
    expect_rejected(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + value +
                    "\r\n\r\n");
  }
}

TEST(RequestParser, RejectsOverflowingContentLength) {
  expect_rejected_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n",
                       "Content-Length overflows");
  expect_rejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n");
}

TEST(RequestParser, ParsesChunkedTransferEncoding) {
  for (const char* value : {"chunked", "Chunked", "CHUNKED", " chunked \t"}) {
    const RequestHead head = parse_ok(
        std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:") + value + "\r\n\r\n");
    EXPECT_EQ(head.framing, BodyFraming::kChunked) << value;
    EXPECT_EQ(head.content_length, 0u);
  }
}

TEST(RequestParser, RejectsTransferEncodingOtherThanChunked) {
  for (const char* value :
       {"gzip, chunked", "chunked, gzip", "identity", "gzip", "chunked, chunked", "chunked;x=1",
        "chunked,", "", "xchunked", "chunked\x01"}) {
    expect_rejected(std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") + value +
                    "\r\n\r\n");
  }
  expect_rejected(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
      "chunked\r\n\r\n");
}

TEST(RequestParser, RejectsBothContentLengthAndTransferEncoding) {
  expect_rejected_with(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "both Content-Length and Transfer-Encoding");
  expect_rejected(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n");
}

TEST(RequestParser, RejectsTransferEncodingOnHttp10) {
  expect_rejected_with("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                       "Transfer-Encoding in an HTTP/1.0 request");
}

// ---- Connection, Expect, Upgrade --------------------------------------------------------------

TEST(RequestParser, DerivesKeepAlive) {
  EXPECT_TRUE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: te\r\nConnection: close\r\n\r\n")
                   .keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST(RequestParser, DerivesExpectContinue) {
  EXPECT_TRUE(
      parse_ok("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
          .expect_continue);
  EXPECT_TRUE(
      parse_ok("PUT / HTTP/1.1\r\nHost: h\r\nexpect: 100-Continue\r\n\r\n").expect_continue);
  EXPECT_FALSE(parse_ok("PUT / HTTP/1.1\r\nHost: h\r\nExpect: foo\r\n\r\n").expect_continue);
  EXPECT_FALSE(parse_ok("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

TEST(RequestParser, DerivesUpgrade) {
  EXPECT_TRUE(
      parse_ok("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
          .upgrade);
  EXPECT_TRUE(
      parse_ok(
          "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, upgrade\r\nUpgrade: h2c\r\n\r\n")
          .upgrade);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").upgrade);
  EXPECT_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n").upgrade);
  EXPECT_FALSE(
      parse_ok("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n").upgrade);
}

// ---- Limits -------------------------------------------------------------------------------------

std::string request_line_of(std::size_t size) {
  // "GET /aaa HTTP/1.1" padded to exactly `size` bytes.
  const std::size_t fixed = std::string_view("GET / HTTP/1.1").size();
  return "GET /" + std::string(size - fixed, 'a') + " HTTP/1.1";
}

TEST(RequestParser, AcceptsRequestLineAtTheLimit) {
  ParserLimits limits;
  limits.max_request_line = 64;
  parse_ok(request_line_of(64) + "\r\nHost: h\r\n\r\n", limits);
}

TEST(RequestParser, RejectsLongRequestLineWith414) {
  ParserLimits limits;
  limits.max_request_line = 64;
  expect_rejected(request_line_of(65) + "\r\nHost: h\r\n\r\n", ErrorKind::kUriTooLong, limits);
}

TEST(RequestParser, Rejects414AsSoonAsTheLimitIsPassedWithoutCrlf) {
  ParserLimits limits;
  limits.max_request_line = 64;
  RequestHead head;
  const std::string partial = "GET /" + std::string(60, 'a');  // 65 bytes, no CRLF yet
  auto result = parse_all(partial, head, limits);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kUriTooLong);
  // 64 bytes and a CR could still be a request line at the limit.
  auto pending = parse_all(request_line_of(64) + "\r", head, limits);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(*pending, 0u);
}

TEST(RequestParser, AcceptsHeadAtTheByteLimit) {
  const std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n";
  ParserLimits limits;
  limits.max_header_bytes = base.size() + 10;
  parse_ok("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(10, 'v') + "\r\n\r\n", limits);
}

TEST(RequestParser, RejectsLargeHeadWith431) {
  ParserLimits limits;
  limits.max_header_bytes = 128;
  expect_rejected("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(200, 'v') + "\r\n\r\n",
                  ErrorKind::kHeadersTooLarge, limits);
}

TEST(RequestParser, Rejects431EvenWhileIncomplete) {
  ParserLimits limits;
  limits.max_header_bytes = 128;
  RequestHead head;
  auto result = parse_all("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(200, 'v'), head, limits);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kHeadersTooLarge);
}

TEST(RequestParser, CountsLeadingEmptyLinesAgainstTheHeadLimit) {
  ParserLimits limits;
  limits.max_header_bytes = 64;
  RequestHead head;
  std::string flood;
  for (int i = 0; i < 40; ++i) {
    flood += "\r\n";
  }
  auto result = parse_all(flood, head, limits);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kHeadersTooLarge);
}

TEST(RequestParser, PrefersRequestLineLimitWhenItIsPassedFirst) {
  ParserLimits limits;
  limits.max_request_line = 32;
  limits.max_header_bytes = 64;
  expect_rejected("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
                  ErrorKind::kUriTooLong, limits);
}

TEST(RequestParser, LimitVerdictDoesNotDependOnTheSplit) {
  ParserLimits limits;
  limits.max_request_line = 16;
  limits.max_header_bytes = 40;
  std::string empty_lines;
  for (int i = 0; i < 14; ++i) {
    empty_lines += "\r\n";
  }
  // The head limit is passed inside the request line, before its own limit would be.
  expect_rejected(empty_lines + "GET /aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n",
                  ErrorKind::kHeadersTooLarge, limits);
  // A bare LF after the line limit is passed: the limit was hit first.
  expect_rejected("GET /aaaaaaaaaaaaaaaaaaaaaaaaaa\nHost: h\r\n\r\n", ErrorKind::kUriTooLong,
                  limits);
}

TEST(RequestParser, EnforcesFieldCountLimit) {
  ParserLimits limits;
  limits.max_header_count = 5;
  std::string ok = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 4; ++i) {
    ok += "X" + std::to_string(i) + ": v\r\n";
  }
  parse_ok(ok + "\r\n", limits);
  expect_rejected(ok + "Y: v\r\n\r\n", ErrorKind::kHeadersTooLarge, limits);
}

TEST(RequestParser, DefaultLimitsMatchTheContract) {
  const ParserLimits limits;
  EXPECT_EQ(limits.max_request_line, 8u * 1024);
  EXPECT_EQ(limits.max_header_bytes, 32u * 1024);
  EXPECT_EQ(limits.max_header_count, 100u);
}

}  // namespace
}  // namespace bulwark::http::h1
