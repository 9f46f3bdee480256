#pragma once
// The exact and prefix paths of a virtual host's routes in one radix tree. Looking a path up
// walks it once, whatever the number of routes, and yields every route whose exact path equals
// it or whose prefix starts it (prefixes match by characters: "/api" takes "/apix").

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::router {

class PathTree {
 public:
  PathTree() : nodes_(1) {}

  // Routes are added in ascending order, so that each list handed to a visitor is ascending.
  void add_prefix(std::string_view prefix, std::uint32_t route);
  void add_exact(std::string_view path, std::uint32_t route);

  // Calls visit(std::span<const std::uint32_t>) with each ascending list of routes whose path
  // matches `path`: the prefixes from the shortest, then the exact paths.
  template <class Visit>
  void match(std::string_view path, Visit&& visit) const;

 private:
  struct Node {
    std::string label;  // the bytes from the parent to here
    std::vector<std::uint32_t> prefix_routes;
    std::vector<std::uint32_t> exact_routes;
    std::string child_bytes;              // the first byte of each child's label
    std::vector<std::uint32_t> children;  // node indices, parallel to child_bytes
  };

  // The node whose path from the root is `key`, created (and an edge split) when missing.
  std::uint32_t insert(std::string_view key);

  std::vector<Node> nodes_;  // [0] is the root, with the empty path
};

template <class Visit>
void PathTree::match(std::string_view path, Visit&& visit) const {
  const Node* node = nodes_.data();
  while (true) {
    if (!node->prefix_routes.empty()) visit(std::span<const std::uint32_t>(node->prefix_routes));
    if (path.empty()) {
      if (!node->exact_routes.empty()) visit(std::span<const std::uint32_t>(node->exact_routes));
      return;
    }
    const std::size_t slot = node->child_bytes.find(path.front());
    if (slot == std::string::npos) return;
    const Node& child = nodes_[node->children[slot]];
    if (!path.starts_with(child.label)) return;
    path.remove_prefix(child.label.size());
    node = &child;
  }
}

}  // namespace bulwark::router
