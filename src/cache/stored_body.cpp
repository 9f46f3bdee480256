#include "cache/stored_body.h"

#include <algorithm>
#include <asio/this_coro.hpp>
#include <cstring>

namespace bulwark::cache {

StoredBody::StoredBody(std::uint64_t expected_length, std::uint64_t max_bytes)
    : max_bytes_(max_bytes) {
  if (expected_length != 0 && expected_length <= max_bytes) {
    blocks_.push_back({std::make_unique_for_overwrite<char[]>(expected_length),
                       static_cast<std::size_t>(expected_length), 0});
  }
}

bool StoredBody::append(std::string_view bytes) {
  if (state() != BodyState::kStreaming) return false;
  if (size() + bytes.size() > max_bytes_) {
    finish(BodyState::kAborted);
    return false;
  }
  {
    const std::scoped_lock lock(mutex_);
    while (!bytes.empty()) {
      if (blocks_.empty() || blocks_.back().used == blocks_.back().capacity) {
        // A known length that turned out short: more blocks of the same size keep offsets simple.
        const std::size_t capacity = blocks_.empty() ? kBlockBytes : blocks_.front().capacity;
        blocks_.push_back({std::make_unique_for_overwrite<char[]>(capacity), capacity, 0});
      }
      Block& block = blocks_.back();
      const std::size_t take = std::min(bytes.size(), block.capacity - block.used);
      std::memcpy(block.bytes.get() + block.used, bytes.data(), take);
      block.used += take;
      bytes.remove_prefix(take);
      size_.fetch_add(take, std::memory_order_release);
    }
  }
  wake_all();
  return true;
}

void StoredBody::finish(BodyState state) {
  {
    const std::scoped_lock lock(mutex_);
    if (this->state() != BodyState::kStreaming) return;
    state_.store(state, std::memory_order_release);
  }
  wake_all();
}

std::string_view StoredBody::read(std::uint64_t offset, std::uint64_t max) const {
  const std::uint64_t readable = size();
  if (offset >= readable || max == 0) return {};
  // Blocks are all the size of the first: the block of an offset is a division away.
  const auto locate = [&]() -> std::string_view {
    const Block& first = blocks_.front();
    const std::size_t index = static_cast<std::size_t>(offset / first.capacity);
    const std::size_t within = static_cast<std::size_t>(offset % first.capacity);
    const Block& block = blocks_[index];
    const std::uint64_t length =
        std::min<std::uint64_t>({block.capacity - within, readable - offset, max});
    return {block.bytes.get() + within, static_cast<std::size_t>(length)};
  };
  if (state() == BodyState::kComplete) return locate();
  const std::scoped_lock lock(mutex_);  // the writer may be growing blocks_
  return locate();
}

core::Task<bool> StoredBody::wait_beyond(std::uint64_t offset, core::Clock::time_point deadline) {
  const core::Executor executor = co_await asio::this_coro::executor;
  WakeupList::WaiterPtr waiter;
  {
    const std::scoped_lock lock(mutex_);
    if (size() > offset || state() != BodyState::kStreaming) co_return true;
    waiter = waiters_.add(executor, deadline);
  }
  if (co_await WakeupList::wait(waiter)) co_return true;
  const std::scoped_lock lock(mutex_);
  waiters_.remove(waiter);
  co_return size() > offset || state() != BodyState::kStreaming;
}

void StoredBody::wake_all() {
  std::vector<WakeupList::WaiterPtr> woken;
  {
    const std::scoped_lock lock(mutex_);
    woken = waiters_.take();
  }
  WakeupList::wake(std::move(woken));
}

std::uint64_t StoredBody::charge() const noexcept {
  const std::scoped_lock lock(mutex_);
  std::uint64_t bytes = sizeof(*this);
  for (const Block& block : blocks_)
    bytes += block.capacity;
  return bytes;
}

}  // namespace bulwark::cache
