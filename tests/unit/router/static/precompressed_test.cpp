// Pre-compressed static files (static: precompressed): FILE.zst, FILE.br or FILE.gz served in
// place of FILE to a client that accepts the coding, with the original's content type.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <initializer_list>
#include <string>

#include "router/static/static_file_resolver.h"
#include "temp_tree.h"

namespace bulwark::router {
namespace {

constexpr std::int64_t kNow = 2'000'000'000;

class PrecompressedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.file("www/app.js", "plain javascript");
    tree_.file("www/app.js.br", "brotli bytes");
    tree_.file("www/app.js.gz", "gzip bytes!");
    tree_.file("www/only-gzip.css", "plain css");
    tree_.file("www/only-gzip.css.gz", "gzip css");
    tree_.directory("www/dir.txt.gz");  // not a regular file: never served
    tree_.file("www/dir.txt", "plain text");
    tree_.file("www/docs/index.html", "<h1>docs</h1>");
    tree_.file("www/docs/index.html.zst", "zstd html");
    files_.root = tree_.path("www");
    files_.precompressed = {compress::Coding::kZstd, compress::Coding::kBrotli,
                            compress::Coding::kGzip};
  }

  StaticReply resolve(
      std::string_view target, std::string_view accept_encoding,
      std::initializer_list<std::pair<std::string_view, std::string_view>> more = {}) {
    http::HeaderMap headers;
    if (!accept_encoding.empty()) headers.add("accept-encoding", accept_encoding);
    for (const auto& [name, value] : more)
      headers.add(name, value);
    StaticReply reply;
    resolve_static(
        {.method = http::Method::kGet, .target = target, .headers = &headers, .now = kNow}, files_,
        match_, reply);
    return reply;
  }

  testing::TempTree tree_;
  config::StaticAction files_;
  config::RouteMatch match_;
};

TEST_F(PrecompressedTest, TheBestAcceptedCodingThatExistsIsServed) {
  const StaticReply reply = resolve("/app.js", "gzip, br, zstd");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-encoding"), "br");  // no app.js.zst
  EXPECT_EQ(reply.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(reply.header("vary"), "accept-encoding");
  EXPECT_EQ(reply.content_length, std::string("brotli bytes").size());
}

TEST_F(PrecompressedTest, TheClientsWeightsComeFirst) {
  EXPECT_EQ(resolve("/app.js", "br;q=0.5, gzip").header("content-encoding"), "gzip");
  EXPECT_EQ(resolve("/only-gzip.css", "br, gzip;q=0.1").header("content-encoding"), "gzip");
}

TEST_F(PrecompressedTest, WithoutAnAcceptedCodingTheOriginalIsServedWithVary) {
  for (const std::string_view accept : {"", "identity", "br;q=0, gzip;q=0", "deflate"}) {
    const StaticReply reply = resolve("/app.js", accept);
    EXPECT_EQ(reply.header("content-encoding"), "") << accept;
    EXPECT_EQ(reply.content_length, std::string("plain javascript").size()) << accept;
    EXPECT_EQ(reply.header("vary"), "accept-encoding") << accept;
  }
  EXPECT_EQ(resolve("/only-gzip.css", "br, zstd").header("content-encoding"), "");
}

TEST_F(PrecompressedTest, OnlyRegularFilesAreTaken) {
  const StaticReply reply = resolve("/dir.txt", "gzip");
  EXPECT_EQ(reply.header("content-encoding"), "");
  EXPECT_EQ(reply.content_length, std::string("plain text").size());
}

TEST_F(PrecompressedTest, IndexFilesToo) {
  const StaticReply reply = resolve("/docs/", "zstd");
  EXPECT_EQ(reply.header("content-encoding"), "zstd");
  EXPECT_EQ(reply.header("content-type"), "text/html; charset=utf-8");
}

TEST_F(PrecompressedTest, OnlyConfiguredCodings) {
  files_.precompressed = {compress::Coding::kGzip};
  EXPECT_EQ(resolve("/app.js", "br, gzip;q=0.1").header("content-encoding"), "gzip");
  files_.precompressed.clear();
  const StaticReply reply = resolve("/app.js", "br, gzip");
  EXPECT_EQ(reply.header("content-encoding"), "");
  EXPECT_EQ(reply.header("vary"), "") << "nothing varies without precompressed";
}

TEST_F(PrecompressedTest, ErrorsCarryNoContentEncoding) {
  const StaticReply reply = resolve("/app.js", "br", {{"range", "bytes=500-600"}});
  EXPECT_EQ(reply.status, 416);
  EXPECT_EQ(reply.header("content-encoding"), "");
}

TEST_F(PrecompressedTest, TheValidatorsAreTheCompressedFilesOwn) {
  const StaticReply plain = resolve("/app.js", "");
  const StaticReply encoded = resolve("/app.js", "gzip");
  EXPECT_NE(plain.header("etag"), encoded.header("etag"));
}

}  // namespace
}  // namespace bulwark::router
