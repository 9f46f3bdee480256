#include "cache/fill.h"

#include <asio/this_coro.hpp>

namespace bulwark::cache {

void Fill::publish(ObjectPtr object) {
  settle(Outcome::kPublished, std::move(object));
}

void Fill::release() {
  settle(Outcome::kReleased, nullptr);
}

void Fill::settle(Outcome outcome, ObjectPtr object) {
  std::vector<WakeupList::WaiterPtr> woken;
  {
    const std::scoped_lock lock(mutex_);
    if (outcome_ != Outcome::kPending) return;
    outcome_ = outcome;
    object_ = std::move(object);
    woken = waiters_.take();
  }
  WakeupList::wake(std::move(woken));
}

core::Task<Fill::Outcome> Fill::wait(core::Clock::time_point deadline) {
  const core::Executor executor = co_await asio::this_coro::executor;
  WakeupList::WaiterPtr waiter;
  {
    const std::scoped_lock lock(mutex_);
    if (outcome_ != Outcome::kPending) co_return outcome_;
    waiter = waiters_.add(executor, deadline);
  }
  const bool woken = co_await WakeupList::wait(waiter);
  const std::scoped_lock lock(mutex_);
  if (!woken) waiters_.remove(waiter);
  co_return outcome_;
}

ObjectPtr Fill::object() const {
  const std::scoped_lock lock(mutex_);
  return object_;
}

}  // namespace bulwark::cache
