#pragma once
// Pooled I/O buffers. A connection takes a buffer when bytes arrive and gives it back when it
// waits again (DESIGN.md §2), so idle connections hold none. Pools are per worker and never
// shared across threads: no locks.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bulwark::core {

class BufferPool;

// A move-only handle to one pooled block with a readable region [begin, end) inside it.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Bytes received and not yet consumed.
  [[nodiscard]] std::span<char> readable() const noexcept {
    return {block_ + begin_, end_ - begin_};
  }
  [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
  [[nodiscard]] bool empty() const noexcept { return begin_ == end_; }
  // Free space after the readable bytes.
  [[nodiscard]] std::span<char> writable() const noexcept {
    return {block_ + end_, capacity_ - end_};
  }

  void commit(std::size_t bytes) noexcept { end_ += static_cast<std::uint32_t>(bytes); }
  void consume(std::size_t bytes) noexcept { begin_ += static_cast<std::uint32_t>(bytes); }
  // Forgets the readable bytes and makes `offset` the next write position. Bytes before `offset`
  // stay where they are: a parsed head keeps its views while the body streams behind it.
  void clear_from(std::size_t offset) noexcept {
    begin_ = end_ = static_cast<std::uint32_t>(offset);
  }
  // Offset of the first readable byte from the start of the block.
  [[nodiscard]] std::size_t offset() const noexcept { return begin_; }
  // Moves the readable bytes to the start of the block (invalidates views into it).
  void compact() noexcept { compact_to(0); }
  // Moves the readable bytes to `offset` (invalidates views into them).
  void compact_to(std::size_t offset) noexcept;
  // Returns the block to its pool; the handle becomes empty.
  void release() noexcept;

 private:
  friend class BufferPool;
  Buffer(BufferPool* pool, char* block, std::size_t capacity) noexcept
      : pool_(pool), block_(block), capacity_(static_cast<std::uint32_t>(capacity)) {}

  BufferPool* pool_ = nullptr;
  char* block_ = nullptr;
  std::uint32_t capacity_ = 0;
  std::uint32_t begin_ = 0;
  std::uint32_t end_ = 0;
};

// Per-worker free list of equally sized blocks. Keeps at most `max_free` blocks cached; beyond
// that, returned blocks go back to the allocator so a burst does not pin memory forever.
class BufferPool {
 public:
  BufferPool(std::size_t block_size, std::size_t max_free);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();

  Buffer take();
  [[nodiscard]] std::size_t block_size() const noexcept { return block_size_; }
  [[nodiscard]] std::size_t free_blocks() const noexcept { return free_.size(); }
  [[nodiscard]] std::size_t blocks_in_use() const noexcept { return in_use_; }

 private:
  friend class Buffer;
  void give_back(char* block) noexcept;

  std::size_t block_size_;
  std::size_t max_free_;
  std::size_t in_use_ = 0;
  std::vector<char*> free_;
};

}  // namespace bulwark::core
