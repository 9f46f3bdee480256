#include "http/path_normalizer.h"

#include <gtest/gtest.h>

namespace bulwark::http {
namespace {

// The normal form, "unchanged" for an input already normal, "invalid" for a refused one.
std::string normal(std::string_view target) {
  std::string out;
  switch (normalize_path(target, out)) {
    case PathNormalization::kUnchanged:
      return "unchanged";
    case PathNormalization::kInvalid:
      return "invalid";
    case PathNormalization::kChanged:
      return out;
  }
  return "?";
}

TEST(PathNormalizerTest, NormalPathsAreLeftAlone) {
  EXPECT_EQ(normal("/"), "unchanged");
  EXPECT_EQ(normal("/api/v1/users?id=7&x=%41"), "unchanged");  // the query is not the path
  EXPECT_EQ(normal("/file.tar.gz"), "unchanged");
  EXPECT_EQ(normal("/.well-known/x"), "unchanged");  // a dotfile is not a dot segment
  EXPECT_EQ(normal("/a..b/..c"), "unchanged");
  EXPECT_EQ(normal("*"), "unchanged");  // asterisk-form is not a path
}

TEST(PathNormalizerTest, UnreservedEscapesAreDecoded) {
  EXPECT_EQ(normal("/%61dmin/"), "/admin/");
  EXPECT_EQ(normal("/%7Euser/%2D%2E%5F"), "/~user/-._");
  EXPECT_EQ(normal("/%61?q=%61"), "/a?q=%61");
}

TEST(PathNormalizerTest, OtherEscapesStayEncodedWithUpperCaseHex) {
  EXPECT_EQ(normal("/a%2fb"), "/a%2Fb");  // an encoded slash is data, not a separator
  EXPECT_EQ(normal("/a%2Fb"), "unchanged");
  EXPECT_EQ(normal("/caf%c3%a9"), "/caf%C3%A9");
  EXPECT_EQ(normal("/a%20b"), "unchanged");
}

TEST(PathNormalizerTest, DotSegmentsAreRemoved) {
  EXPECT_EQ(normal("/x/../admin"), "/admin");
  EXPECT_EQ(normal("/a/./b/."), "/a/b/");
  EXPECT_EQ(normal("/a/b/.."), "/a/");
  EXPECT_EQ(normal("/a/b/../../c?q=/../"), "/c?q=/../");
  EXPECT_EQ(normal("/./"), "/");
  EXPECT_EQ(normal("/a//../b"), "/a/b");  // the empty segment is the one removed
}

TEST(PathNormalizerTest, EncodedDotsAreDotSegmentsToo) {
  EXPECT_EQ(normal("/x/%2e%2e/admin"), "/admin");
  EXPECT_EQ(normal("/x/.%2E/admin"), "/admin");
}

TEST(PathNormalizerTest, ClimbingAboveTheRootIsRefused) {
  EXPECT_EQ(normal("/.."), "invalid");
  EXPECT_EQ(normal("/../etc/passwd"), "invalid");
  EXPECT_EQ(normal("/a/../../b"), "invalid");
  EXPECT_EQ(normal("/%2e%2e/x"), "invalid");
}

TEST(PathNormalizerTest, MalformedEscapesAreRefused) {
  EXPECT_EQ(normal("/a%zz"), "invalid");
  EXPECT_EQ(normal("/a%4"), "invalid");
  EXPECT_EQ(normal("/a%"), "invalid");
}

}  // namespace
}  // namespace bulwark::http
