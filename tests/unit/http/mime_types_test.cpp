#include "http/mime_types.h"

#include <gtest/gtest.h>

namespace bulwark::http {
namespace {

TEST(MimeTypesTest, CommonTypes) {
  EXPECT_EQ(mime_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("module.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("data.json"), "application/json; charset=utf-8");
  EXPECT_EQ(mime_type("readme.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(mime_type("logo.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(mime_type("photo.jpg"), "image/jpeg");
  EXPECT_EQ(mime_type("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(mime_type("image.png"), "image/png");
  EXPECT_EQ(mime_type("image.webp"), "image/webp");
  EXPECT_EQ(mime_type("image.avif"), "image/avif");
  EXPECT_EQ(mime_type("font.woff2"), "font/woff2");
  EXPECT_EQ(mime_type("doc.pdf"), "application/pdf");
  EXPECT_EQ(mime_type("app.wasm"), "application/wasm");
  EXPECT_EQ(mime_type("movie.mp4"), "video/mp4");
  EXPECT_EQ(mime_type("archive.zip"), "application/zip");
  EXPECT_EQ(mime_type("7z.7z"), "application/x-7z-compressed");
}

TEST(MimeTypesTest, ExtensionIsCaseInsensitive) {
  EXPECT_EQ(mime_type("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("Photo.JpG"), "image/jpeg");
}

TEST(MimeTypesTest, OnlyTheLastExtensionOfTheLastSegmentCounts) {
  EXPECT_EQ(mime_type("archive.tar.gz"), "application/gzip");
  EXPECT_EQ(mime_type("page.html.bak"), kDefaultMimeType);
  EXPECT_EQ(mime_type("dir.html/file"), kDefaultMimeType);
  EXPECT_EQ(mime_type("a/b/c.css"), "text/css; charset=utf-8");
}

TEST(MimeTypesTest, UnknownOrMissingExtension) {
  EXPECT_EQ(mime_type("Makefile"), kDefaultMimeType);
  EXPECT_EQ(mime_type("file."), kDefaultMimeType);
  EXPECT_EQ(mime_type("file.unknownext"), kDefaultMimeType);
  EXPECT_EQ(mime_type("file.averyveryverylongextension"), kDefaultMimeType);
  EXPECT_EQ(mime_type(""), kDefaultMimeType);
  EXPECT_EQ(mime_type(".bashrc"), kDefaultMimeType);
}

}  // namespace
}  // namespace bulwark::http
