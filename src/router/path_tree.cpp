#include "router/path_tree.h"

#include <algorithm>

namespace bulwark::router {

void PathTree::add_prefix(std::string_view prefix, std::uint32_t route) {
  nodes_[insert(prefix)].prefix_routes.push_back(route);
}

void PathTree::add_exact(std::string_view path, std::uint32_t route) {
  nodes_[insert(path)].exact_routes.push_back(route);
}

std::uint32_t PathTree::insert(std::string_view key) {
  std::uint32_t current = 0;
  while (!key.empty()) {
    const std::size_t slot = nodes_[current].child_bytes.find(key.front());
    if (slot == std::string::npos) {
      const auto added = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back(Node{.label = std::string(key)});
      nodes_[current].child_bytes.push_back(key.front());
      nodes_[current].children.push_back(added);
      return added;
    }
    const std::uint32_t child = nodes_[current].children[slot];
    const std::string& label = nodes_[child].label;
    const auto common = static_cast<std::size_t>(
        std::mismatch(label.begin(), label.end(), key.begin(), key.end()).first - label.begin());
    if (common < label.size()) {
      // The key ends or leaves inside the edge: split it at the common part.
      const auto middle = static_cast<std::uint32_t>(nodes_.size());
      Node split{.label = label.substr(0, common)};
      nodes_[child].label.erase(0, common);
      split.child_bytes.push_back(nodes_[child].label.front());
      split.children.push_back(child);
      nodes_.push_back(std::move(split));
      nodes_[current].children[slot] = middle;
    }
    key.remove_prefix(common);
    current = nodes_[current].children[slot];
  }
  return current;
}

}  // namespace bulwark::router
