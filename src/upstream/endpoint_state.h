#pragma once
// What every worker must agree on about one endpoint (DESIGN.md §2: shared state is published,
// never locked per request): whether its active health check passes, whether outlier detection
// ejected it, whether an operator drained or disabled it, and since when it is back (slow
// start). Written rarely (a check result, an ejection, a command); each write that changes
// availability advances the StateBoard's epoch, and a worker's balancer re-reads the states only
// when that epoch moved. An endpoint keeps its state across reloads while its cluster keeps an
// endpoint of the same identity.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/timeout_list.h"

namespace bulwark::upstream {

class StateBoard;

// Set by an operator (a control command now, the admin API later).
enum class AdminState : std::uint8_t {
  kActive,
  kDraining,  // no new requests except sticky sessions bound to it; in-flight ones finish
  kDisabled,  // no requests at all
};

std::string_view to_string(AdminState state) noexcept;

class EndpointState {
 public:
  EndpointState(std::string identity, StateBoard& board) noexcept;
  EndpointState(const EndpointState&) = delete;
  EndpointState& operator=(const EndpointState&) = delete;

  // The endpoint's configured HOST:PORT (or, for DNS endpoints, the resolved address).
  [[nodiscard]] const std::string& identity() const noexcept { return identity_; }

  // The active health check's verdict; healthy until a checker says otherwise.
  [[nodiscard]] bool healthy() const noexcept { return healthy_.load(std::memory_order_acquire); }
  void set_healthy(bool healthy) noexcept;

  [[nodiscard]] AdminState admin() const noexcept { return admin_.load(std::memory_order_acquire); }
  void set_admin(AdminState state) noexcept;

  // Passive outlier detection: the streaks of errors in a row, bumped by workers as attempts
  // end. A success resets them without writing when they are already zero, so that healthy
  // traffic does not bounce the cache line between workers.
  struct Streaks {
    std::uint32_t server_errors = 0;   // 5xx responses and gateway errors
    std::uint32_t gateway_errors = 0;  // 502, 503, 504, connect failures, timeouts, resets
  };
  Streaks note_error(bool gateway) noexcept;
  void note_success() noexcept;
  // Ejects until `until` unless already ejected; true when this call ejected it.
  bool eject_until(core::Clock::time_point until) noexcept;
  // Ends an ejection (its time is up); true when this call ended it.
  bool readmit(core::Clock::time_point now) noexcept;
  [[nodiscard]] bool ejected() const noexcept {
    return ejected_until_.load(std::memory_order_acquire) != 0;
  }
  [[nodiscard]] core::Clock::time_point ejected_until() const noexcept {
    return from_ticks(ejected_until_.load(std::memory_order_acquire));
  }
  // How often it was ejected in a row; the ejection time grows with it.
  [[nodiscard]] std::uint32_t ejections() const noexcept {
    return ejections_.load(std::memory_order_relaxed);
  }
  // It behaved long enough: the next ejection counts as a first one again.
  void forgive_ejections() noexcept { ejections_.store(0, std::memory_order_relaxed); }

  // When it last became available again (health restored, ejection ended, enabled); the epoch
  // (time_point{}) when it never was out. Slow start ramps its weight up from there.
  [[nodiscard]] core::Clock::time_point available_since() const noexcept {
    return from_ticks(available_since_.load(std::memory_order_acquire));
  }

 private:
  static std::int64_t ticks(core::Clock::time_point t) noexcept {
    return t.time_since_epoch().count();
  }
  static core::Clock::time_point from_ticks(std::int64_t n) noexcept {
    return core::Clock::time_point(core::Clock::duration(n));
  }
  void came_back(core::Clock::time_point now) noexcept;

  const std::string identity_;
  StateBoard& board_;
  std::atomic<bool> healthy_{true};
  std::atomic<AdminState> admin_{AdminState::kActive};
  std::atomic<std::uint32_t> server_errors_{0};
  std::atomic<std::uint32_t> gateway_errors_{0};
  std::atomic<std::uint32_t> ejections_{0};
  std::atomic<std::int64_t> ejected_until_{0};  // 0: not ejected
  std::atomic<std::int64_t> available_since_{0};
};

}  // namespace bulwark::upstream
