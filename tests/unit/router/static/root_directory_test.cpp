// Opening below the root without leaving it, with openat2 and with the fallback (root_directory.h).

#include "router/static/root_directory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "temp_tree.h"

namespace bulwark::router {
namespace {

class RootDirectoryTest : public ::testing::TestWithParam<Confinement> {
 protected:
  void SetUp() override {
    tree_.file("www/index.html", "home");
    tree_.file("www/docs/a.txt", "a");
    tree_.file("secret.txt", "outside");
    tree_.file("www-other/b.txt", "sibling");
  }

  // The file's content, or "errno N".
  std::string read(const std::string& relative) const {
    const auto root = RootDirectory::open(tree_.path("www"), GetParam());
    if (!root) return "root errno " + std::to_string(root.error());
    const auto file = root->open_file(relative.c_str());
    if (!file) return "errno " + std::to_string(file.error());
    std::string content(64, '\0');
    const ssize_t n = ::read(file->get(), content.data(), content.size());
    content.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return content;
  }

  static std::string error(int value) { return "errno " + std::to_string(value); }

  testing::TempTree tree_;
};

TEST_P(RootDirectoryTest, OpensFilesBelowTheRoot) {
  EXPECT_EQ(read("index.html"), "home");
  EXPECT_EQ(read("docs/a.txt"), "a");
  EXPECT_EQ(read("missing"), error(ENOENT));
  EXPECT_EQ(read("index.html/x"), error(ENOTDIR));
}

TEST_P(RootDirectoryTest, EmptyNameIsTheRootItself) {
  const auto root = RootDirectory::open(tree_.path("www"), GetParam());
  ASSERT_TRUE(root);
  const auto file = root->open_file("");
  ASSERT_TRUE(file);
  struct stat info = {};
  ASSERT_EQ(::fstat(file->get(), &info), 0);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
}

TEST_P(RootDirectoryTest, FollowsRelativeLinksThatStayInside) {
  tree_.symlink("docs/a.txt", "www/link.txt");
  tree_.symlink("docs", "www/docs-link");
  tree_.symlink("../index.html", "www/docs/up.html");
  EXPECT_EQ(read("link.txt"), "a");
  EXPECT_EQ(read("docs-link/a.txt"), "a");
  EXPECT_EQ(read("docs/up.html"), "home");
}

TEST_P(RootDirectoryTest, RefusesLinksThatLeaveTheRoot) {
  tree_.symlink("../secret.txt", "www/escape.txt");
  tree_.symlink(tree_.path("secret.txt"), "www/absolute.txt");
  tree_.symlink("/etc", "www/etc");
  tree_.symlink("../www-other", "www/sibling");  // shares the root's name as a prefix
  tree_.symlink("../../secret.txt", "www/docs/deep.txt");
  EXPECT_EQ(read("escape.txt"), error(EXDEV));
  EXPECT_EQ(read("absolute.txt"), error(EXDEV));
  EXPECT_EQ(read("etc/passwd"), error(EXDEV));
  EXPECT_EQ(read("sibling/b.txt"), error(EXDEV));
  EXPECT_EQ(read("docs/deep.txt"), error(EXDEV));
}

TEST_P(RootDirectoryTest, DotDotIsRefusedEvenIfTheCallerForgotToResolveIt) {
  EXPECT_EQ(read("../secret.txt"), error(EXDEV));
  EXPECT_EQ(read("docs/../../secret.txt"), error(EXDEV));
}

TEST_P(RootDirectoryTest, AFifoDoesNotBlock) {
  ASSERT_EQ(::mkfifo(tree_.path("www/pipe").c_str(), 0600), 0);
  const auto root = RootDirectory::open(tree_.path("www"), GetParam());
  ASSERT_TRUE(root);
  const auto file = root->open_file("pipe");  // would hang without O_NONBLOCK
  ASSERT_TRUE(file);
  struct stat info = {};
  ASSERT_EQ(::fstat(file->get(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
}

TEST_P(RootDirectoryTest, TheRootMayItselfBeALink) {
  tree_.symlink("www", "current");
  const auto root = RootDirectory::open(tree_.path("current"), GetParam());
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->open_file("index.html"));
  EXPECT_FALSE(root->open_file("../secret.txt"));
}

INSTANTIATE_TEST_SUITE_P(Confinements, RootDirectoryTest,
                         ::testing::Values(Confinement::kKernel, Confinement::kCheckAfterOpen),
                         [](const ::testing::TestParamInfo<Confinement>& param) {
                           return param.param == Confinement::kKernel ? "Openat2"
                                                                      : "CheckAfterOpen";
                         });

TEST(RootDirectoryOpenTest, MissingRoot) {
  const auto root = RootDirectory::open("/nonexistent/bulwark/root");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error(), ENOENT);
}

}  // namespace
}  // namespace bulwark::router

namespace bulwark::router {
namespace {

TEST(RootDirectoryCacheTest, KeepsTheRootOpenWithinASecond) {
  testing::TempTree tree;
  tree.file("www/a.txt", "a");
  RootDirectoryCache cache;
  const auto first = cache.get(tree.path("www"), Confinement::kAuto, 100);
  ASSERT_TRUE(first);
  const auto again = cache.get(tree.path("www"), Confinement::kAuto, 100);
  ASSERT_TRUE(again);
  EXPECT_EQ(*first, *again);
  EXPECT_TRUE((*again)->open_file("a.txt"));
  // Another second, same directory: still the same object.
  EXPECT_EQ(*cache.get(tree.path("www"), Confinement::kAuto, 101), *first);
}

TEST(RootDirectoryCacheTest, FollowsARootLinkSwitchedToAnotherRelease) {
  testing::TempTree tree;
  tree.file("v1/version.txt", "1");
  tree.file("v2/version.txt", "2");
  tree.symlink("v1", "current");
  RootDirectoryCache cache;
  const auto version = [&](std::int64_t now) {
    const auto root = cache.get(tree.path("current"), Confinement::kAuto, now);
    EXPECT_TRUE(root);
    const auto file = (*root)->open_file("version.txt");
    EXPECT_TRUE(file);
    char c = '?';
    EXPECT_EQ(::read(file->get(), &c, 1), 1);
    return c;
  };
  EXPECT_EQ(version(100), '1');
  // The deploy: a new link renamed over the old one.
  tree.symlink("v2", "next");
  std::filesystem::rename(tree.path("next"), tree.path("current"));
  EXPECT_EQ(version(100), '1');  // within the same second the open root is kept
  EXPECT_EQ(version(101), '2');
}

TEST(RootDirectoryCacheTest, RootThatWentAwayFails) {
  testing::TempTree tree;
  tree.directory("www");
  RootDirectoryCache cache;
  ASSERT_TRUE(cache.get(tree.path("www"), Confinement::kAuto, 100));
  std::filesystem::remove(tree.path("www"));
  const auto gone = cache.get(tree.path("www"), Confinement::kAuto, 101);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), ENOENT);
  tree.directory("www");
  EXPECT_TRUE(cache.get(tree.path("www"), Confinement::kAuto, 102));
}

}  // namespace
}  // namespace bulwark::router
