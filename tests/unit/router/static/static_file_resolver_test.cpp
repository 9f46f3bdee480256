// The static file server's decisions for one request (static_file_resolver.h), on a real tree.

#include "router/static/static_file_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "temp_tree.h"

namespace bulwark::router {
namespace {

using ::testing::StartsWith;

constexpr std::int64_t kNow = 2'000'000'000;
constexpr std::time_t kMtime = 1'000'000;  // 0xf4240; Mon, 12 Jan 1970 13:46:40 GMT
constexpr std::string_view kLastModified = "Mon, 12 Jan 1970 13:46:40 GMT";

class StaticFileResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.file("www/index.html", "<h1>home</h1>", kMtime);
    tree_.file("www/hello.txt", "hello world", kMtime);
    tree_.file("www/digits.bin", "0123456789", kMtime);
    tree_.file("www/docs/guide.css", "body{}", kMtime);
    tree_.file("www/empty.txt", "", kMtime);
    tree_.file("www/.env", "SECRET=1", kMtime);
    tree_.file("www/second/default.htm", "second", kMtime);
    tree_.directory("www/second/index.html");  // a directory named like an index: skipped
    tree_.directory("www/bare");
    tree_.file("secret.txt", "outside", kMtime);
    files_.root = tree_.path("www");
  }

  StaticReply resolve(
      std::string_view target,
      std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {},
      http::Method method = http::Method::kGet, std::int64_t now = kNow) {
    for (const auto& [name, value] : fields)
      headers_.add(name, value);
    StaticReply reply;
    resolve_static({.method = method, .target = target, .headers = &headers_, .now = now}, files_,
                   match_, reply);
    headers_.clear();
    return reply;
  }

  // The body as a client would get it.
  static std::string body_of(const StaticReply& reply) {
    std::string body;
    for (const BodyPiece& piece : reply.body) {
      if (const auto* text = std::get_if<std::pmr::string>(&piece)) {
        body += *text;
        continue;
      }
      const auto& segment = std::get<FileSegment>(piece);
      EXPECT_EQ(segment.fd, reply.file.get());
      std::string bytes(segment.length, '\0');
      EXPECT_EQ(::pread(segment.fd, bytes.data(), bytes.size(), static_cast<off_t>(segment.offset)),
                static_cast<ssize_t>(segment.length));
      body += bytes;
    }
    EXPECT_EQ(body.size(), reply.content_length);
    return body;
  }

  testing::TempTree tree_;
  config::StaticAction files_;
  config::RouteMatch match_;
  http::HeaderMap headers_;
};

TEST_F(StaticFileResolverTest, ServesAFile) {
  const StaticReply reply = resolve("/hello.txt");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reply.header("etag"), R"("f4240-b")");  // nginx's form: mtime and size in hex
  EXPECT_EQ(reply.header("last-modified"), kLastModified);
  EXPECT_EQ(reply.header("accept-ranges"), "bytes");
  EXPECT_EQ(reply.content_length, 11U);
  ASSERT_EQ(reply.body.size(), 1U);
  EXPECT_EQ(body_of(reply), "hello world");
}

TEST_F(StaticFileResolverTest, QueryIsNotPartOfTheName) {
  const StaticReply reply = resolve("/hello.txt?v=3");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(body_of(reply), "hello world");
}

TEST_F(StaticFileResolverTest, HeadHasTheLengthButNoBody) {
  const StaticReply reply = resolve("/hello.txt", {}, http::Method::kHead);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_length, 11U);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.header("etag"), R"("f4240-b")");
}

TEST_F(StaticFileResolverTest, EmptyFile) {
  const StaticReply reply = resolve("/empty.txt");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_length, 0U);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(resolve("/empty.txt", {{"range", "bytes=0-"}}).status, 200);
}

TEST_F(StaticFileResolverTest, OnlyGetAndHead) {
  for (const http::Method method : {http::Method::kPost, http::Method::kPut, http::Method::kDelete,
                                    http::Method::kOptions, http::Method::kPatch}) {
    const StaticReply reply = resolve("/hello.txt", {}, method);
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.header("allow"), "GET, HEAD");
    EXPECT_TRUE(reply.body.empty());
  }
}

TEST_F(StaticFileResolverTest, MissingFileTraversalAndDotfilesAreNotFound) {
  for (const std::string_view target :
       {"/missing.txt", "/../secret.txt", "/%2e%2e/secret.txt", "/docs/..%2f..%2fsecret.txt",
        "/.env", "/%2eenv", "/hello.txt/", "/docs/guide.css/x"}) {
    const StaticReply reply = resolve(target);
    EXPECT_EQ(reply.status, 404) << target;
    EXPECT_FALSE(reply.file) << target;
  }
  EXPECT_EQ(resolve("/hello.txt%00.png").status, 400);
  EXPECT_EQ(resolve("/bad%zzescape").status, 400);
}

TEST_F(StaticFileResolverTest, DotfilesWhenAllowed) {
  files_.dotfiles = true;
  const StaticReply reply = resolve("/.env");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(body_of(reply), "SECRET=1");
}

TEST_F(StaticFileResolverTest, SymlinkOutOfTheRootIsNotFound) {
  tree_.symlink("../secret.txt", "www/escape.txt");
  tree_.symlink("/etc", "www/etc");
  tree_.symlink("hello.txt", "www/alias.txt");
  EXPECT_EQ(resolve("/escape.txt").status, 404);
  EXPECT_EQ(resolve("/etc/passwd").status, 404);
  EXPECT_EQ(resolve("/etc/").status, 404);
  EXPECT_EQ(body_of(resolve("/alias.txt")), "hello world");
}

TEST_F(StaticFileResolverTest, SymlinkOutOfTheRootIsNotFoundWithTheFallbackToo) {
  tree_.symlink("../secret.txt", "www/escape.txt");
  StaticReply reply;
  resolve_static({.target = "/escape.txt",
                  .headers = &headers_,
                  .now = kNow,
                  .confinement = Confinement::kCheckAfterOpen},
                 files_, match_, reply);
  EXPECT_EQ(reply.status, 404);
}

TEST_F(StaticFileResolverTest, SpecialFilesAreNotFound) {
  ASSERT_EQ(::mkfifo(tree_.path("www/pipe").c_str(), 0600), 0);
  EXPECT_EQ(resolve("/pipe").status, 404);
}

TEST_F(StaticFileResolverTest, UnreadableFileIsForbidden) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  tree_.file("www/locked.txt", "x");
  ::chmod(tree_.path("www/locked.txt").c_str(), 0);
  EXPECT_EQ(resolve("/locked.txt").status, 403);
}

TEST_F(StaticFileResolverTest, DirectoryWithoutSlashRedirects) {
  StaticReply reply = resolve("/docs");
  EXPECT_EQ(reply.status, 301);
  EXPECT_EQ(reply.header("location"), "/docs/");
  reply = resolve("/docs?x=1&y=2");
  EXPECT_EQ(reply.status, 301);
  EXPECT_EQ(reply.header("location"), "/docs/?x=1&y=2");
  EXPECT_EQ(resolve("//docs").header("location"), "/docs/");
}

TEST_F(StaticFileResolverTest, DirectoryServesItsIndex) {
  StaticReply reply = resolve("/");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(body_of(reply), "<h1>home</h1>");
  files_.index = {"index.html", "default.htm"};
  reply = resolve("/second/");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(body_of(reply), "second");
}

TEST_F(StaticFileResolverTest, DirectoryWithoutIndexIsNotFound) {
  EXPECT_EQ(resolve("/bare/").status, 404);
  EXPECT_EQ(resolve("/docs/").status, 404);  // no listing
  files_.index.clear();
  EXPECT_EQ(resolve("/").status, 404);
}

TEST_F(StaticFileResolverTest, PrefixRewrite) {
  files_.prefix_rewrite = "/docs/";
  match_.path = "/assets/";
  const StaticReply reply = resolve("/assets/guide.css");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(body_of(reply), "body{}");
  EXPECT_EQ(resolve("/assets/../hello.txt").status, 200);  // still below the root
  EXPECT_EQ(resolve("/assets/../../secret.txt").status, 404);
}

TEST_F(StaticFileResolverTest, NotModifiedByEntityTag) {
  const StaticReply reply = resolve("/hello.txt", {{"if-none-match", R"("f4240-b")"}});
  EXPECT_EQ(reply.status, 304);
  EXPECT_EQ(reply.header("etag"), R"("f4240-b")");
  EXPECT_EQ(reply.header("last-modified"), kLastModified);
  EXPECT_EQ(reply.header("content-type"), "");
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(resolve("/hello.txt", {{"if-none-match", R"("f4240-c")"}}).status, 200);
}

TEST_F(StaticFileResolverTest, NotModifiedByDate) {
  EXPECT_EQ(resolve("/hello.txt", {{"if-modified-since", kLastModified}}).status, 304);
  EXPECT_EQ(resolve("/hello.txt", {{"if-modified-since", "Mon, 12 Jan 1970 13:46:39 GMT"}}).status,
            200);
}

TEST_F(StaticFileResolverTest, PreconditionFailed) {
  EXPECT_EQ(resolve("/hello.txt", {{"if-match", R"("f4240-b")"}}).status, 200);
  EXPECT_EQ(resolve("/hello.txt", {{"if-match", R"("other")"}}).status, 412);
  EXPECT_EQ(
      resolve("/hello.txt", {{"if-unmodified-since", "Mon, 12 Jan 1970 13:46:39 GMT"}}).status,
      412);
  EXPECT_EQ(resolve("/hello.txt", {{"if-unmodified-since", kLastModified}}).status, 200);
}

TEST_F(StaticFileResolverTest, SingleRange) {
  const StaticReply reply = resolve("/digits.bin", {{"range", "bytes=2-5"}});
  EXPECT_EQ(reply.status, 206);
  EXPECT_EQ(reply.header("content-range"), "bytes 2-5/10");
  EXPECT_EQ(reply.header("content-type"), "application/octet-stream");
  EXPECT_EQ(body_of(reply), "2345");
  EXPECT_EQ(body_of(resolve("/digits.bin", {{"range", "bytes=-3"}})), "789");
  EXPECT_EQ(body_of(resolve("/digits.bin", {{"range", "bytes=7-"}})), "789");
}

TEST_F(StaticFileResolverTest, SeveralRangesAreMultipart) {
  const StaticReply reply = resolve("/digits.bin", {{"range", "bytes=0-1,-2"}});
  EXPECT_EQ(reply.status, 206);
  const std::string_view type = reply.header("content-type");
  ASSERT_THAT(std::string(type), StartsWith("multipart/byteranges; boundary="));
  const std::string boundary(type.substr(type.find('=') + 1));
  EXPECT_EQ(boundary.size(), 16U);
  EXPECT_EQ(reply.header("content-range"), "");
  EXPECT_EQ(body_of(reply), "--" + boundary +
                                "\r\nContent-Type: application/octet-stream\r\nContent-Range: "
                                "bytes 0-1/10\r\n\r\n01\r\n--" +
                                boundary +
                                "\r\nContent-Type: application/octet-stream\r\nContent-Range: "
                                "bytes 8-9/10\r\n\r\n89\r\n--" +
                                boundary + "--\r\n");
  // Each response gets its own boundary.
  EXPECT_NE(resolve("/digits.bin", {{"range", "bytes=0-1,-2"}}).header("content-type"), type);
}

TEST_F(StaticFileResolverTest, UnsatisfiableRange) {
  const StaticReply reply = resolve("/digits.bin", {{"range", "bytes=10-"}});
  EXPECT_EQ(reply.status, 416);
  EXPECT_EQ(reply.header("content-range"), "bytes */10");
  EXPECT_TRUE(reply.body.empty());
}

TEST_F(StaticFileResolverTest, RangesThatAreIgnored) {
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=5-2"}}).status, 200);
  EXPECT_EQ(resolve("/digits.bin", {{"range", "lines=1-2"}}).status, 200);
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=0-1"}}, http::Method::kHead).status, 200);
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=0-1"}, {"range", "bytes=2-3"}}).status, 200);
}

TEST_F(StaticFileResolverTest, IfRange) {
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=0-1"}, {"if-range", R"("f4240-a")"}}).status,
            206);
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=0-1"}, {"if-range", kLastModified}}).status,
            206);
  const StaticReply changed =
      resolve("/digits.bin", {{"range", "bytes=0-1"}, {"if-range", R"("f4240-b")"}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(body_of(changed), "0123456789");
  // If-Range never turns an unsatisfiable range into a 416 when it does not hold.
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=50-"}, {"if-range", R"("x")"}}).status, 200);
}

TEST_F(StaticFileResolverTest, FileChangedThisSecondHasAWeakEntityTag) {
  const StaticReply reply = resolve("/hello.txt", {}, http::Method::kGet, kMtime);
  EXPECT_EQ(reply.header("etag"), R"(W/"f4240-b")");
  // Weak tags still give 304, but never satisfy If-Match or If-Range.
  EXPECT_EQ(resolve("/hello.txt", {{"if-none-match", R"(W/"f4240-b")"}}, http::Method::kGet, kMtime)
                .status,
            304);
  EXPECT_EQ(
      resolve("/hello.txt", {{"if-match", R"(W/"f4240-b")"}}, http::Method::kGet, kMtime).status,
      412);
  EXPECT_EQ(resolve("/digits.bin", {{"range", "bytes=0-1"}, {"if-range", kLastModified}},
                    http::Method::kGet, kMtime)
                .status,
            200);
}

}  // namespace
}  // namespace bulwark::router
