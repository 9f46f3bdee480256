#pragma once
// The body of a stored response, shared by every reader on every worker. One writer (the stream
// that fetches it from the origin) appends bytes as they arrive; readers send what is there and
// wait for more, so that collapsed requests stream the response as it comes (RFC 9111 does not
// ask a cache to wait for the whole body). Once finished the body never changes, and reads take
// no lock.
//
// Memory: a body whose length is known up front is one block of that size (a hit is one
// contiguous write); otherwise blocks of kBlockBytes.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "core/timeout_list.h"

namespace bulwark::cache {

enum class BodyState : std::uint8_t {
  kStreaming,  // the writer is still adding bytes
  kComplete,   // every byte is here
  kAborted,    // the writer gave up (the origin failed, or the body grew past the limit)
};

class StoredBody {
 public:
  static constexpr std::size_t kBlockBytes = 64 * 1024;

  // `expected_length`: the Content-Length when the origin sent one (a single block is reserved
  // up to `max_bytes`), else 0.
  StoredBody(std::uint64_t expected_length, std::uint64_t max_bytes);
  StoredBody(const StoredBody&) = delete;
  StoredBody& operator=(const StoredBody&) = delete;

  // Writer side. append() returns false once the body would pass its max_bytes (it is then
  // aborted).
  bool append(std::string_view bytes);
  void finish(BodyState state);

  // Reader side, from any thread.
  [[nodiscard]] BodyState state() const noexcept { return state_.load(std::memory_order_acquire); }
  // Bytes readable now.
  [[nodiscard]] std::uint64_t size() const noexcept {
    return size_.load(std::memory_order_acquire);
  }
  // The contiguous bytes from `offset` up to the end of its block or of what is readable (at most
  // `max`); empty when `offset` is at the readable end. Valid for as long as the body.
  [[nodiscard]] std::string_view read(std::uint64_t offset, std::uint64_t max) const;
  // Returns once more than `offset` bytes are readable, the body is finished, or `deadline`
  // passes (false: timed out). Runs on the caller's executor; the writer wakes it from its own.
  core::Task<bool> wait_beyond(std::uint64_t offset, core::Clock::time_point deadline);

  // Memory held, for the store's byte budget.
  [[nodiscard]] std::uint64_t charge() const noexcept;

 private:
  struct Waiter;
  void wake_all();

  const std::uint64_t max_bytes_;
  std::atomic<BodyState> state_{BodyState::kStreaming};
  std::atomic<std::uint64_t> size_{0};
  // Guards blocks_ (the vector, not the bytes already published) and waiters_ while streaming.
  mutable std::mutex mutex_;
  struct Block {
    std::unique_ptr<char[]> bytes;
    std::size_t capacity = 0;
    std::size_t used = 0;
  };
  std::vector<Block> blocks_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace bulwark::cache
