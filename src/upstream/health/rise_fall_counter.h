#pragma once
// The verdict of a run of checks, as HAProxy's rise and fall have it: an endpoint that is up goes
// down after `fall` consecutive failures, one that is down comes back after `rise` consecutive
// passes. A single odd result in between resets the count, so a flapping endpoint stays where it
// was.

#include <cstdint>

namespace bulwark::upstream::health {

class RiseFallCounter {
 public:
  RiseFallCounter(std::uint32_t rise, std::uint32_t fall, bool healthy) noexcept
      : rise_(rise), fall_(fall), healthy_(healthy) {}

  // Counts one result; true when it changed the verdict.
  bool record(bool passed) noexcept {
    if (passed == healthy_) {
      streak_ = 0;
      return false;
    }
    if (++streak_ < (healthy_ ? fall_ : rise_)) return false;
    healthy_ = passed;
    streak_ = 0;
    return true;
  }

  [[nodiscard]] bool healthy() const noexcept { return healthy_; }
  // Consecutive results against the current verdict so far.
  [[nodiscard]] std::uint32_t streak() const noexcept { return streak_; }

 private:
  std::uint32_t rise_;
  std::uint32_t fall_;
  bool healthy_;
  std::uint32_t streak_ = 0;
};

}  // namespace bulwark::upstream::health
