#pragma once
// Wakes the coroutines of an HTTP/2 stream that wait for its connection: the connection's reader
// (bytes or a window arrived, the stream closed) wakes them; a deadline cancels their waits. In
// full duplex two wait at once (the request pump and the response), so every wait in progress
// hears a wake or a cancel. A wake or cancel while none waits is not lost: the next wait returns
// at once.

#include <asio/error.hpp>
#include <cstdint>
#include <system_error>

#include "core/io.h"

namespace bulwark::proxy {

class StreamSignal {
 public:
  explicit StreamSignal(const core::Executor& executor) : timer_(executor) {}

  void wake() noexcept {
    ++wakes_;
    if (waiters_ == 0) woken_ = true;
    timer_.cancel();
  }
  void cancel() noexcept {
    ++cancels_;
    if (waiters_ == 0) cancelled_ = true;
    timer_.cancel();
  }
  // Returns after wake() (no error) or cancel() (operation_aborted). Waiters re-check what they
  // wait for: a wake is a hint, not a promise.
  core::Task<std::error_code> wait() {
    if (cancelled_) {
      cancelled_ = woken_ = false;
      co_return asio::error::operation_aborted;
    }
    if (woken_) {
      woken_ = false;
      co_return std::error_code{};
    }
    const std::uint64_t cancels = cancels_;
    const std::uint64_t wakes = wakes_;
    // Setting the expiry cancels the waits in progress: only the first waiter sets it.
    if (waiters_++ == 0) timer_.expires_at(core::SteadyTimer::time_point::max());
    while (cancels_ == cancels && wakes_ == wakes) {
      co_await timer_.async_wait(core::kAsTuple);
    }
    --waiters_;
    co_return cancels_ != cancels ? std::error_code(asio::error::operation_aborted)
                                  : std::error_code{};
  }

 private:
  core::SteadyTimer timer_;
  std::uint64_t wakes_ = 0;
  std::uint64_t cancels_ = 0;
  std::uint32_t waiters_ = 0;
  bool woken_ = false;
  bool cancelled_ = false;
};

}  // namespace bulwark::proxy
