#include "router/path_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::router {
namespace {

using Tree = PathTree<std::vector<std::string>>;
using Visits = std::vector<std::string>;

// The names stored under every key that starts `path`, in visit order; "*" marks the key that is
// all of the path.
Visits visits(const Tree& tree, std::string_view path) {
  Visits out;
  tree.walk(path, [&](const std::vector<std::string>& names, bool whole) {
    for (const std::string& name : names)
      out.push_back(whole ? name + "*" : name);
  });
  return out;
}

TEST(PathTreeTest, KeysThatStartThePathShortestFirst) {
  Tree tree;
  tree.at("/api/v1").push_back("v1");
  tree.at("/").push_back("root");
  tree.at("/api/v1/users").push_back("users");
  tree.at("/api").push_back("api");
  tree.at("/api").push_back("api2");
  EXPECT_EQ(visits(tree, "/api/v1/users"), (Visits{"root", "api", "api2", "v1", "users*"}));
  EXPECT_EQ(visits(tree, "/api/v1/user"), (Visits{"root", "api", "api2", "v1"}));
  EXPECT_EQ(visits(tree, "/apix"), (Visits{"root", "api", "api2"}));  // by characters
  EXPECT_EQ(visits(tree, "/ap"), (Visits{"root"}));
  EXPECT_EQ(visits(tree, "/"), (Visits{"root*"}));
  EXPECT_EQ(visits(tree, ""), (Visits{}));
}

TEST(PathTreeTest, SplittingAnEdgeKeepsBothSides) {
  Tree tree;
  tree.at("/abcdef").push_back("def");
  tree.at("/abcxyz").push_back("xyz");  // splits "/abcdef" at "/abc"
  tree.at("/ab").push_back("ab");       // splits again, above the first split
  tree.at("/abc").push_back("abc");     // lands on the existing split node
  EXPECT_EQ(visits(tree, "/abcdef"), (Visits{"ab", "abc", "def*"}));
  EXPECT_EQ(visits(tree, "/abcxyz"), (Visits{"ab", "abc", "xyz*"}));
  EXPECT_EQ(visits(tree, "/abc"), (Visits{"ab", "abc*"}));
  EXPECT_EQ(visits(tree, "/abcd"), (Visits{"ab", "abc"}));
  EXPECT_EQ(visits(tree, "/abcdefg"), (Visits{"ab", "abc", "def"}));
  EXPECT_EQ(visits(tree, "/a"), (Visits{}));
}

TEST(PathTreeTest, PathEndingInsideAnEdgeStopsThere) {
  Tree tree;
  tree.at("/health").push_back("health");
  tree.at("/healthz").push_back("healthz");
  EXPECT_EQ(visits(tree, "/health"), (Visits{"health*"}));
  EXPECT_EQ(visits(tree, "/health/"), (Visits{"health"}));
  EXPECT_EQ(visits(tree, "/healthz/x"), (Visits{"health", "healthz"}));
  EXPECT_EQ(visits(tree, "/healt"), (Visits{}));
}

TEST(PathTreeTest, EmptyKeyIsTheRootAndStartsEverything) {
  Tree tree;
  tree.at("").push_back("root");
  EXPECT_EQ(visits(tree, "/x"), (Visits{"root"}));
  EXPECT_EQ(visits(tree, ""), (Visits{"root*"}));
}

TEST(PathTreeTest, EveryByteValueAndManySiblings) {
  Tree tree;
  for (int c = 0; c < 256; ++c)
    tree.at(std::string(1, static_cast<char>(c)) + "x").push_back(std::to_string(c));
  for (int c = 0; c < 256; ++c) {
    EXPECT_EQ(visits(tree, std::string(1, static_cast<char>(c)) + "x"),
              (Visits{std::to_string(c) + "*"}));
  }
}

}  // namespace
}  // namespace bulwark::router
