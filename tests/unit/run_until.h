#pragma once
// Runs an io_context from a test until a condition holds, with a bound, so that a broken
// asynchronous path fails a test instead of hanging it.

#include <asio/io_context.hpp>
#include <chrono>

namespace bulwark::testing {

// Runs `io` until pred() holds or `limit` passes; true when pred() holds.
template <class Pred>
bool run_until(asio::io_context& io, Pred pred,
               std::chrono::milliseconds limit = std::chrono::seconds{2}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds{5});
  }
  return true;
}

}  // namespace bulwark::testing
