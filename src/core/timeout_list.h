#pragma once
// Coarse per-worker deadlines. Re-arming an Asio timer per I/O operation can reprogram the
// timerfd (a syscall) per request; here arming a deadline is one store, and one periodic tick per
// worker checks every entry (nginx and HAProxy also trade timer precision for cheap timers). A
// deadline fires at most one tick late.

#include <chrono>
#include <cstddef>

namespace bulwark::core {

using Clock = std::chrono::steady_clock;

class TimeoutList;

// Something with a deadline, linked into its worker's TimeoutList for its whole life.
class TimeoutEntry {
 public:
  TimeoutEntry() = default;
  TimeoutEntry(const TimeoutEntry&) = delete;
  TimeoutEntry& operator=(const TimeoutEntry&) = delete;

  void arm(Clock::time_point deadline) noexcept { deadline_ = deadline; }
  void arm_after(Clock::duration timeout) noexcept { deadline_ = Clock::now() + timeout; }
  void disarm() noexcept { deadline_ = Clock::time_point::max(); }
  [[nodiscard]] bool armed() const noexcept { return deadline_ != Clock::time_point::max(); }

  // Called by the tick once the deadline has passed; the entry is disarmed first. The entry may
  // unlink itself from inside this call.
  virtual void on_timeout() noexcept = 0;
  // Called when the worker starts a graceful shutdown: an entry that is only waiting for new work
  // ends now. The entry may unlink itself from inside this call.
  virtual void on_drain() noexcept {}

 protected:
  virtual ~TimeoutEntry() = default;

 private:
  friend class TimeoutList;
  Clock::time_point deadline_ = Clock::time_point::max();
  TimeoutEntry* prev_ = nullptr;
  TimeoutEntry* next_ = nullptr;
  TimeoutList* list_ = nullptr;
};

class TimeoutList {
 public:
  TimeoutList() = default;
  TimeoutList(const TimeoutList&) = delete;
  TimeoutList& operator=(const TimeoutList&) = delete;

  void link(TimeoutEntry& entry) noexcept;
  void unlink(TimeoutEntry& entry) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  // Fires every entry whose deadline is at or before `now`.
  void expire(Clock::time_point now) noexcept;

  // Calls fn(entry) for every entry; fn may unlink the entry it is given.
  template <class Fn>
  void for_each(Fn fn) {
    for (TimeoutEntry* entry = head_; entry != nullptr;) {
      TimeoutEntry* next = entry->next_;
      fn(*entry);
      entry = next;
    }
  }

 private:
  TimeoutEntry* head_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace bulwark::core
