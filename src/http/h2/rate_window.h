#pragma once
// Counts events per one-second window, for the flood limits (a peer's frames per second).

#include <chrono>
#include <cstdint>

namespace bulwark::http::h2 {

class RateWindow {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts one event at `now`; true when the window now holds more than `limit`.
  bool exceeded(Clock::time_point now, std::uint32_t limit) noexcept {
    if (now - start_ >= std::chrono::seconds(1)) {
      start_ = now;
      count_ = 0;
    }
    return ++count_ > limit;
  }

 private:
  Clock::time_point start_{};
  std::uint32_t count_ = 0;
};

}  // namespace bulwark::http::h2
