#pragma once
// The accept loop of the main thread's own listeners (the control socket, the admin listener):
// each connection is served by a coroutine of its own, and an accept that fails (out of
// descriptors) pauses the loop instead of spinning on the same error.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <chrono>
#include <memory>
#include <string_view>

#include "core/io.h"
#include "core/log.h"

namespace bulwark::admin {

inline constexpr std::chrono::milliseconds kAcceptPause{100};

// Accepts on `shared->acceptor` until it closes, and runs `serve(socket, shared)` for each
// connection. `what` names the listener in the log: a string literal, as it outlives the loop.
template <class Shared, class Serve>
core::Task<void> accept_connections(std::shared_ptr<Shared> shared, std::string_view what,
                                    Serve serve) {
  for (;;) {
    auto [ec, socket] = co_await shared->acceptor.async_accept(core::kAsTuple);
    if (ec == asio::error::operation_aborted || !shared->acceptor.is_open()) co_return;
    if (ec) {
      BULWARK_LOG_ERROR("{}: accept failed: {}", what, ec.message());
      core::SteadyTimer pause(shared->acceptor.get_executor(), kAcceptPause);
      co_await pause.async_wait(core::kAsTuple);
      continue;
    }
    asio::co_spawn(shared->acceptor.get_executor(), serve(std::move(socket), shared),
                   asio::detached);
  }
}

}  // namespace bulwark::admin
