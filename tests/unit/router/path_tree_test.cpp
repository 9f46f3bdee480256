#include "router/path_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::router {
namespace {

// Every route the tree yields for `path`, in the order it yields them.
std::vector<std::uint32_t> matches(const PathTree& tree, std::string_view path) {
  std::vector<std::uint32_t> out;
  tree.match(path, [&](std::span<const std::uint32_t> routes) {
    out.insert(out.end(), routes.begin(), routes.end());
  });
  return out;
}

using V = std::vector<std::uint32_t>;

TEST(PathTreeTest, PrefixesShortestFirstThenExact) {
  PathTree tree;
  tree.add_prefix("/api/v1", 0);
  tree.add_prefix("/", 1);
  tree.add_exact("/api/v1/users", 2);
  tree.add_prefix("/api", 3);
  tree.add_prefix("/api", 4);
  EXPECT_EQ(matches(tree, "/api/v1/users"), (V{1, 3, 4, 0, 2}));
  EXPECT_EQ(matches(tree, "/api/v1/user"), (V{1, 3, 4, 0}));
  EXPECT_EQ(matches(tree, "/apix"), (V{1, 3, 4}));
  EXPECT_EQ(matches(tree, "/ap"), (V{1}));
  EXPECT_EQ(matches(tree, ""), (V{}));
}

TEST(PathTreeTest, SplittingAnEdgeKeepsBothSides) {
  PathTree tree;
  tree.add_exact("/abcdef", 0);
  tree.add_exact("/abcxyz", 1);  // splits "/abcdef" at "/abc"
  tree.add_prefix("/ab", 2);     // splits again, above the first split
  tree.add_exact("/abc", 3);     // lands on the existing split node
  EXPECT_EQ(matches(tree, "/abcdef"), (V{2, 0}));
  EXPECT_EQ(matches(tree, "/abcxyz"), (V{2, 1}));
  EXPECT_EQ(matches(tree, "/abc"), (V{2, 3}));
  EXPECT_EQ(matches(tree, "/abcd"), (V{2}));
  EXPECT_EQ(matches(tree, "/a"), (V{}));
}

TEST(PathTreeTest, ExactNeedsTheWholePathAndPrefixNeedsTheWholeLabel) {
  PathTree tree;
  tree.add_exact("/health", 0);
  tree.add_prefix("/healthz", 1);
  EXPECT_EQ(matches(tree, "/health"), (V{0}));
  EXPECT_EQ(matches(tree, "/health/"), (V{}));
  EXPECT_EQ(matches(tree, "/healthz/x"), (V{1}));
  EXPECT_EQ(matches(tree, "/healt"), (V{}));
}

TEST(PathTreeTest, EmptyPrefixMatchesEverything) {
  PathTree tree;
  tree.add_prefix("", 5);
  tree.add_exact("", 6);
  EXPECT_EQ(matches(tree, "/x"), (V{5}));
  EXPECT_EQ(matches(tree, ""), (V{5, 6}));
}

TEST(PathTreeTest, BytesAboveAsciiAndManySiblings) {
  PathTree tree;
  for (std::uint32_t c = 0; c < 256; ++c)
    tree.add_exact(std::string(1, static_cast<char>(c)) + "x", c);
  for (std::uint32_t c = 0; c < 256; ++c)
    EXPECT_EQ(matches(tree, std::string(1, static_cast<char>(c)) + "x"), (V{c}));
}

}  // namespace
}  // namespace bulwark::router
