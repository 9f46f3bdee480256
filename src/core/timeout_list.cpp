#include "core/timeout_list.h"

namespace bulwark::core {

void TimeoutList::link(TimeoutEntry& entry) noexcept {
  entry.list_ = this;
  entry.prev_ = nullptr;
  entry.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &entry;
  head_ = &entry;
  ++size_;
}

void TimeoutList::unlink(TimeoutEntry& entry) noexcept {
  if (entry.list_ != this) return;
  if (entry.prev_ != nullptr) {
    entry.prev_->next_ = entry.next_;
  } else {
    head_ = entry.next_;
  }
  if (entry.next_ != nullptr) entry.next_->prev_ = entry.prev_;
  entry.prev_ = entry.next_ = nullptr;
  entry.list_ = nullptr;
  --size_;
}

void TimeoutList::expire(Clock::time_point now) noexcept {
  for_each([now](TimeoutEntry& entry) {
    if (entry.deadline_ <= now) {
      entry.disarm();
      entry.on_timeout();
    }
  });
}

}  // namespace bulwark::core
