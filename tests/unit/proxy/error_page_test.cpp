#include "proxy/error_page.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fake_context.h"

namespace bulwark::proxy {
namespace {

using nlohmann::json;

json parse(const ErrorPage& page) {
  json parsed;
  EXPECT_NO_THROW(parsed = json::parse(page.body)) << page.body;
  return parsed;
}

// ---- content negotiation ------------------------------------------------------------------------

TEST(ErrorPageTest, JsonWhenAcceptNamesApplicationJson) {
  const ErrorPage page = render_error_page(502, "upstream failed", "rid-1", "application/json");
  EXPECT_EQ(page.content_type, "application/json");
  const json body = parse(page);
  EXPECT_EQ(body["status"], 502);
}

TEST(ErrorPageTest, JsonWhenAcceptListsJsonAmongOthers) {
  const ErrorPage page =
      render_error_page(404, "d", "r", "text/html;q=0.5, application/json;q=0.9, */*;q=0.1");
  EXPECT_EQ(page.content_type, "application/json");
}

TEST(ErrorPageTest, JsonWhenAcceptNamesAStructuredJsonSuffix) {
  const ErrorPage page = render_error_page(400, "d", "r", "application/problem+json");
  EXPECT_EQ(page.content_type, "application/json");
  EXPECT_EQ(parse(page)["status"], 400);
}

TEST(ErrorPageTest, HtmlWhenAcceptIsEmpty) {
  EXPECT_EQ(render_error_page(500, "d", "r", "").content_type, "text/html; charset=utf-8");
}

TEST(ErrorPageTest, HtmlForBrowsersAndWildcards) {
  EXPECT_EQ(
      render_error_page(500, "d", "r", "text/html,application/xhtml+xml,*/*;q=0.8").content_type,
      "text/html; charset=utf-8");
  EXPECT_EQ(render_error_page(500, "d", "r", "*/*").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(render_error_page(500, "d", "r", "text/plain").content_type,
            "text/html; charset=utf-8");
}

// BUG: media types are case-insensitive (RFC 9110 §8.3.1), but prefers_json() does a
// case-sensitive substring search, so "Accept: Application/JSON" gets HTML.
TEST(ErrorPageTest, JsonWhenAcceptNamesJsonInUpperCase) {
  EXPECT_EQ(render_error_page(502, "d", "r", "Application/JSON").content_type, "application/json");
}

// ---- JSON body ----------------------------------------------------------------------------------

TEST(ErrorPageTest, JsonHasStatusReasonDetailAndRequestId) {
  const ErrorPage page =
      render_error_page(503, "no healthy endpoint", "0b7c-42", "application/json");
  const json body = parse(page);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body.size(), 4u);
  EXPECT_EQ(body["status"], 503);
  EXPECT_EQ(body["error"], "Service Unavailable");
  EXPECT_EQ(body["detail"], "no healthy endpoint");
  EXPECT_EQ(body["request_id"], "0b7c-42");
  EXPECT_EQ(page.body.back(), '\n');
}

TEST(ErrorPageTest, JsonEscapesQuotesBackslashesAndControlBytes) {
  const std::string detail = "say \"hi\" \\ path\nline\ttab\x01\x1f end";
  const ErrorPage page = render_error_page(400, detail, "id\"x", "application/json");
  const json body = parse(page);
  EXPECT_EQ(body["detail"], detail);
  EXPECT_EQ(body["request_id"], "id\"x");
  EXPECT_EQ(page.body.find('\n'), page.body.size() - 1);  // the only raw newline ends the body
}

TEST(ErrorPageTest, JsonForUnknownStatusHasEmptyReason) {
  const json body = parse(render_error_page(499, "client closed", "r", "application/json"));
  EXPECT_EQ(body["status"], 499);
  EXPECT_EQ(body["error"], "");
}

TEST(ErrorPageTest, JsonWithEmptyDetailAndRequestId) {
  const json body = parse(render_error_page(500, "", "", "application/json"));
  EXPECT_EQ(body["detail"], "");
  EXPECT_EQ(body["request_id"], "");
  EXPECT_EQ(body["error"], "Internal Server Error");
}

// ---- HTML body ----------------------------------------------------------------------------------

TEST(ErrorPageTest, HtmlHasStatusReasonDetailAndRequestId) {
  const ErrorPage page = render_error_page(504, "upstream timed out", "abc-123", "text/html");
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.body.find("<title>504 Gateway Timeout</title>"), std::string::npos);
  EXPECT_NE(page.body.find("<h1>504 Gateway Timeout</h1>"), std::string::npos);
  EXPECT_NE(page.body.find("<p>upstream timed out</p>"), std::string::npos);
  EXPECT_NE(page.body.find("Request ID: abc-123"), std::string::npos);
  EXPECT_NE(page.body.find("</html>"), std::string::npos);
}

TEST(ErrorPageTest, HtmlEscapesDetail) {
  const ErrorPage page = render_error_page(400, "<script>alert(\"x\")</script> & more", "r", "");
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more"),
            std::string::npos)
      << page.body;
}

TEST(ErrorPageTest, HtmlEscapesRequestId) {
  const ErrorPage page = render_error_page(400, "d", "<b>id</b>", "");
  EXPECT_EQ(page.body.find("<b>"), std::string::npos);
  EXPECT_NE(page.body.find("Request ID: &lt;b&gt;id&lt;/b&gt;"), std::string::npos);
}

TEST(ErrorPageTest, HtmlEscapesAmpersandOnlyOnce) {
  const ErrorPage page = render_error_page(400, "&lt;", "r", "");
  EXPECT_NE(page.body.find("<p>&amp;lt;</p>"), std::string::npos);
}

TEST(ErrorPageTest, DifferentStatusesProduceTheirOwnReason) {
  EXPECT_NE(render_error_page(404, "", "", "").body.find("404 Not Found"), std::string::npos);
  EXPECT_NE(render_error_page(429, "", "", "").body.find("429 Too Many Requests"),
            std::string::npos);
  EXPECT_NE(render_error_page(431, "", "", "").body.find("431 Request Header Fields Too Large"),
            std::string::npos);
}

// ---- configured pages --------------------------------------------------------------------------

TEST(ErrorPageTest, FindsTheConfiguredPageOfAStatus) {
  config::Config config;
  config.error_pages.push_back(
      {.status = 404, .file = "a.html", .body = "a", .content_type = "text/html"});
  config.error_pages.push_back(
      {.status = 502, .file = "b.json", .body = "b", .content_type = "application/json"});
  EXPECT_EQ(find_error_page(config, 404), &config.error_pages[0]);
  EXPECT_EQ(find_error_page(config, 502), &config.error_pages[1]);
  EXPECT_EQ(find_error_page(config, 500), nullptr);
  EXPECT_EQ(find_error_page(config::Config{}, 404), nullptr);
}

TEST(ErrorPageTest, AReplacedUpstreamResponseKeepsWhatTellsTheClientWhatToDoNext) {
  http::HeaderMap headers;
  headers.add("Server", "backend/1.0");
  headers.add("WWW-Authenticate", "Basic realm=\"a\"");
  headers.add("Content-Type", "text/html");
  headers.add("retry-after", "30");
  headers.add("Allow", "GET, HEAD");
  headers.add("X-Debug", "stack trace");
  core::Arena arena;
  const std::span<const http::HeaderField> kept = fields_kept_by_error_page(headers, arena);
  ASSERT_EQ(kept.size(), 3U);
  EXPECT_EQ(kept[0].name, "WWW-Authenticate");
  EXPECT_EQ(kept[1].value, "30");
  EXPECT_EQ(kept[2].name, "Allow");
  http::HeaderMap none;
  none.add("Server", "x");
  EXPECT_TRUE(fields_kept_by_error_page(none, arena).empty());
}

TEST(ErrorPageTest, OnlyAnInterceptingPageReplacesAnUpstreamResponse) {
  config::Config config;
  config.error_pages.push_back(
      {.status = 404, .file = "a.html", .body = "a", .content_type = "text/html"});
  config.error_pages.push_back({.status = 500,
                                .file = "b.html",
                                .body = "b",
                                .content_type = "text/html",
                                .intercept_upstream = true});
  http::ResponseHead response;
  fakes::FakeContext ctx;
  for (const std::uint16_t status : {404, 502}) {
    response.status = status;
    EXPECT_FALSE(intercept_upstream_error(config, response, ctx)) << status;
  }
  EXPECT_TRUE(ctx.replies.empty());
  response.status = 500;
  EXPECT_TRUE(intercept_upstream_error(config, response, ctx));
  ASSERT_EQ(ctx.replies.size(), 1U);
  EXPECT_EQ(ctx.replies[0].status, 500);
  EXPECT_EQ(ctx.replies[0].body, "");  // the local reply takes the page of its status
}

}  // namespace
}  // namespace bulwark::proxy
