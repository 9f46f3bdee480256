#include "upstream/endpoint_state.h"

#include "upstream/state_board.h"

namespace bulwark::upstream {

std::string_view to_string(AdminState state) noexcept {
  switch (state) {
    case AdminState::kActive:
      return "active";
    case AdminState::kDraining:
      return "draining";
    case AdminState::kDisabled:
      return "disabled";
  }
  return "active";
}

EndpointState::EndpointState(std::string identity, StateBoard& board) noexcept
    : identity_(std::move(identity)), board_(board) {}

void EndpointState::set_healthy(bool healthy) noexcept {
  if (healthy_.exchange(healthy, std::memory_order_acq_rel) == healthy) return;
  if (healthy) came_back(core::Clock::now());
  board_.advance();
}

void EndpointState::set_admin(AdminState state) noexcept {
  const AdminState was = admin_.exchange(state, std::memory_order_acq_rel);
  if (was == state) return;
  if (state == AdminState::kActive) came_back(core::Clock::now());
  board_.advance();
}

EndpointState::Streaks EndpointState::note_error(bool gateway) noexcept {
  Streaks streaks;
  streaks.server_errors = server_errors_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (gateway) {
    streaks.gateway_errors = gateway_errors_.fetch_add(1, std::memory_order_relaxed) + 1;
  } else if (gateway_errors_.load(std::memory_order_relaxed) != 0) {
    gateway_errors_.store(0, std::memory_order_relaxed);
  }
  return streaks;
}

void EndpointState::note_success() noexcept {
  if (server_errors_.load(std::memory_order_relaxed) != 0)
    server_errors_.store(0, std::memory_order_relaxed);
  if (gateway_errors_.load(std::memory_order_relaxed) != 0)
    gateway_errors_.store(0, std::memory_order_relaxed);
}

bool EndpointState::eject_until(core::Clock::time_point until) noexcept {
  std::int64_t expected = 0;
  if (!ejected_until_.compare_exchange_strong(expected, ticks(until), std::memory_order_acq_rel)) {
    return false;
  }
  ejections_.fetch_add(1, std::memory_order_relaxed);
  server_errors_.store(0, std::memory_order_relaxed);
  gateway_errors_.store(0, std::memory_order_relaxed);
  board_.advance();
  return true;
}

bool EndpointState::readmit(core::Clock::time_point now) noexcept {
  if (ejected_until_.exchange(0, std::memory_order_acq_rel) == 0) return false;
  came_back(now);
  board_.advance();
  return true;
}

void EndpointState::came_back(core::Clock::time_point now) noexcept {
  available_since_.store(ticks(now), std::memory_order_release);
}

}  // namespace bulwark::upstream
