#pragma once
// A radix tree keyed by path prefixes. Walking a request path visits the node of every key that
// starts the path, shortest first, in one pass over the path whatever the number of keys. What
// a node holds (the Payload) is up to the user: route_table.h keeps its exact paths, prefixes
// and regexes there.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::router {

template <class Payload>
class PathTree {
 public:
  PathTree() : nodes_(1) {}

  // The payload of `key`, empty when the key is new. Valid until the next call.
  Payload& at(std::string_view key) { return nodes_[insert(key)].payload; }

  // Calls visit(const Payload&, bool whole) for each key that starts `path` (keys match by
  // characters: "/api" starts "/apix"), shortest first; `whole` says the key is all of `path`.
  // Nodes that only join edges are visited too, with an empty payload.
  template <class Visit>
  void walk(std::string_view path, Visit&& visit) const;

  template <class F>
  void for_each(F&& f) {
    for (Node& node : nodes_)
      f(node.payload);
  }

 private:
  struct Node {
    std::string label;  // the bytes from the parent to here
    Payload payload;
    std::string child_bytes;              // the first byte of each child's label
    std::vector<std::uint32_t> children;  // node indices, parallel to child_bytes
  };

  // The node whose path from the root is `key`, created (and an edge split) when missing.
  std::uint32_t insert(std::string_view key);

  std::vector<Node> nodes_;  // [0] is the root, with the empty key
};

template <class Payload>
template <class Visit>
void PathTree<Payload>::walk(std::string_view path, Visit&& visit) const {
  const Node* node = nodes_.data();
  while (true) {
    visit(node->payload, path.empty());
    if (path.empty()) return;
    // A loop, not find(): nodes have a handful of children, too few for memchr to pay.
    std::size_t slot = 0;
    while (slot < node->child_bytes.size() && node->child_bytes[slot] != path.front())
      ++slot;
    if (slot == node->child_bytes.size()) return;
    const Node& child = nodes_[node->children[slot]];
    if (!path.starts_with(child.label)) return;
    path.remove_prefix(child.label.size());
    node = &child;
  }
}

template <class Payload>
std::uint32_t PathTree<Payload>::insert(std::string_view key) {
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
    const std::string_view label = nodes_[child].label;
    const auto common = static_cast<std::size_t>(
        std::mismatch(label.begin(), label.end(), key.begin(), key.end()).first - label.begin());
    if (common < label.size()) {
      // The key ends or leaves inside the edge: split the edge after the common part.
      Node middle{.label = std::string(label.substr(0, common))};
      nodes_[child].label.erase(0, common);
      middle.child_bytes.push_back(nodes_[child].label.front());
      middle.children.push_back(child);
      nodes_[current].children[slot] = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back(std::move(middle));
    }
    key.remove_prefix(common);
    current = nodes_[current].children[slot];
  }
  return current;
}

}  // namespace bulwark::router
