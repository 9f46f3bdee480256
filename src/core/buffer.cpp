#include "core/buffer.h"

#include <cstring>
#include <new>
#include <utility>

namespace bulwark::core {

Buffer::Buffer(Buffer&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      block_(std::exchange(other.block_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      begin_(std::exchange(other.begin_, 0)),
      end_(std::exchange(other.end_, 0)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    block_ = std::exchange(other.block_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    begin_ = std::exchange(other.begin_, 0);
    end_ = std::exchange(other.end_, 0);
  }
  return *this;
}

void Buffer::compact_to(std::size_t offset) noexcept {
  if (begin_ == offset) return;
  const std::uint32_t size = end_ - begin_;
  std::memmove(block_ + offset, block_ + begin_, size);
  begin_ = static_cast<std::uint32_t>(offset);
  end_ = begin_ + size;
}

void Buffer::release() noexcept {
  if (block_ == nullptr) return;
  pool_->give_back(block_);
  block_ = nullptr;
  pool_ = nullptr;
  capacity_ = begin_ = end_ = 0;
}

BufferPool::BufferPool(std::size_t block_size, std::size_t max_free)
    : block_size_(block_size), max_free_(max_free) {
  free_.reserve(max_free);
}

BufferPool::~BufferPool() {
  for (char* block : free_)
    ::operator delete(block);
}

Buffer BufferPool::take() {
  char* block;
  if (free_.empty()) {
    block = static_cast<char*>(::operator new(block_size_));
  } else {
    block = free_.back();
    free_.pop_back();
  }
  ++in_use_;
  return Buffer(this, block, block_size_);
}

void BufferPool::give_back(char* block) noexcept {
  --in_use_;
  if (free_.size() < max_free_) {
    free_.push_back(block);
  } else {
    ::operator delete(block);
  }
}

}  // namespace bulwark::core
