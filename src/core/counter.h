#pragma once
// A monotonic counter with a single writer (one worker thread) and any number of readers (the
// admin listener scraping). The writer adds with a plain load and store instead of fetch_add:
// no locked instruction on the hot path, which is correct only because nobody else writes.

#include <atomic>
#include <cstdint>

namespace bulwark::core {

class Counter {
 public:
  // Only the owning thread calls this.
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread: a value the counter had at some point, never a torn one.
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace bulwark::core
