#pragma once
// Wakes the one coroutine of an HTTP/2 stream that waits for its connection: the connection's
// reader (bytes or a window arrived, the stream closed) wakes it; a deadline cancels the wait.
// A wake or cancel before the wait is not lost: the next wait returns at once.

#include <asio/error.hpp>
#include <system_error>

#include "core/io.h"

namespace bulwark::proxy {

class StreamSignal {
 public:
  explicit StreamSignal(const core::Executor& executor) : timer_(executor) {}

  void wake() noexcept {
    woken_ = true;
    timer_.cancel();
  }
  void cancel() noexcept {
    cancelled_ = true;
    timer_.cancel();
  }
  // Returns after wake() (no error) or cancel() (operation_aborted).
  core::Task<std::error_code> wait() {
    if (!woken_ && !cancelled_) {
      timer_.expires_at(core::SteadyTimer::time_point::max());
      co_await timer_.async_wait(core::kAsTuple);
    }
    woken_ = false;
    if (cancelled_) {
      cancelled_ = false;
      co_return asio::error::operation_aborted;
    }
    co_return std::error_code{};
  }

 private:
  core::SteadyTimer timer_;
  bool woken_ = false;
  bool cancelled_ = false;
};

}  // namespace bulwark::proxy
