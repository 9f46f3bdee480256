#pragma once
// Coroutines on any worker that wait for a shared cache entry to change (a fill to get its head,
// a body to grow). Each waiter waits on a timer of its own executor; wake_all() posts the cancel
// of each timer to that executor, because Asio timers are not thread-safe, and so every waiter
// resumes on its own worker. The owner's mutex guards the list: waiters check their condition
// and register under it, and the owner changes the condition under it before waking.

#include <asio/post.hpp>
#include <memory>
#include <vector>

#include "core/io.h"
#include "core/timeout_list.h"

namespace bulwark::cache {

class WakeupList {
 public:
  struct Waiter {
    explicit Waiter(const core::Executor& executor) : timer(executor) {}
    core::SteadyTimer timer;
  };
  using WaiterPtr = std::shared_ptr<Waiter>;

  // Under the owner's mutex, after the condition was found false: a waiter that times out at
  // `deadline`.
  WaiterPtr add(const core::Executor& executor, core::Clock::time_point deadline) {
    auto waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_at(deadline);
    waiters_.push_back(waiter);
    return waiter;
  }
  // Outside the owner's mutex: true when woken, false when the deadline passed. The wake is
  // posted to the waiter's executor, so it cannot run before this wait has started.
  static core::Task<bool> wait(const WaiterPtr& waiter) {
    const auto [ec] = co_await waiter->timer.async_wait(core::kAsTuple);
    co_return static_cast<bool>(ec);
  }
  // Under the owner's mutex: forgets a waiter that timed out.
  void remove(const WaiterPtr& waiter) { std::erase(waiters_, waiter); }
  // Under the owner's mutex: takes the waiters to wake, for wake() after unlocking.
  [[nodiscard]] std::vector<WaiterPtr> take() noexcept { return std::move(waiters_); }

  static void wake(std::vector<WaiterPtr> waiters) {
    for (WaiterPtr& waiter : waiters) {
      const core::Executor executor = waiter->timer.get_executor();
      asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
    }
  }

 private:
  std::vector<WaiterPtr> waiters_;
};

}  // namespace bulwark::cache
