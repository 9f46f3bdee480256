#pragma once
// A per-stream bump allocator (DESIGN.md §2, STYLE-ANCHORS lesson 8): everything a stream
// allocates (added headers, filter objects, rewritten targets) comes from here and is released at
// once when the stream ends. The first block lives inside the arena, so a steady state of small
// requests allocates nothing from the heap.

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory_resource>
#include <new>
#include <string_view>
#include <utility>

namespace bulwark::core {

class Arena {
 public:
  // A proxied request with the built-in filters, its UpstreamLeg and both header sections takes
  // about 2.5 KiB; the next block would come from malloc, for every request.
  static constexpr std::size_t kInlineBytes = 8192;

  Arena() : resource_(inline_.data(), inline_.size(), std::pmr::new_delete_resource()) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::pmr::memory_resource* resource() noexcept { return &resource_; }

  // Copies `text` into the arena; the view stays valid until reset().
  std::string_view copy(std::string_view text) {
    if (text.empty()) return {};
    auto* out = static_cast<char*>(resource_.allocate(text.size(), 1));
    std::copy(text.begin(), text.end(), out);
    return {out, text.size()};
  }

  // Constructs a T in the arena. Its destructor runs only if the caller calls it: use this for
  // trivially destructible types or call std::destroy_at before reset().
  template <class T, class... Args>
  T* make(Args&&... args) {
    void* memory = resource_.allocate(sizeof(T), alignof(T));
    return ::new (memory) T(std::forward<Args>(args)...);
  }

  void* allocate(std::size_t bytes, std::size_t align) { return resource_.allocate(bytes, align); }

  // Frees everything; keeps the inline block for the next stream.
  void reset() noexcept { resource_.release(); }

 private:
  alignas(std::max_align_t) std::array<std::byte, kInlineBytes> inline_{};
  std::pmr::monotonic_buffer_resource resource_;
};

}  // namespace bulwark::core
