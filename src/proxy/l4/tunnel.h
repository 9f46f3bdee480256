#pragma once
// Carries bytes both ways between a client and a backend as they come, for layer-4 listeners.
// A quiet direction waits with a read into a small buffer of its own (the messages of
// request/response protocols fit it whole); only when more is waiting does it take a pooled
// buffer, until the socket is empty: an idle tunnel holds no pooled buffer, and a busy one makes
// no syscall beyond its reads and writes. A direction writes what it read before it reads again,
// so a slow reader holds back its writer (backpressure). An end of stream is passed on as a half
// close; a reset or error closes both ways.

#include <cstdint>

#include "core/buffer.h"
#include "core/io.h"
#include "core/timeout_list.h"

namespace bulwark::proxy {

// The one deadline of a layer-4 connection: while it is being set up (PROXY header, ClientHello,
// connect), then its idle timeout, re-armed whenever bytes move. Expiry cancels both sockets.
class TunnelDeadline final : public core::TimeoutEntry {
 public:
  TunnelDeadline(core::TimeoutList& list, core::TcpSocket& client, core::TcpSocket& upstream)
      : list_(list), client_(client), upstream_(upstream) {
    list_.link(*this);
  }
  TunnelDeadline(const TunnelDeadline&) = delete;
  TunnelDeadline& operator=(const TunnelDeadline&) = delete;
  ~TunnelDeadline() override { list_.unlink(*this); }

  // `closes_on_drain`: a drain ends the wait at once (the client has not been connected to a
  // backend yet); a tunnel's wait is left to the drain deadline instead.
  void wait_for(core::Clock::duration limit, bool closes_on_drain) noexcept {
    closes_on_drain_ = closes_on_drain;
    expired_ = false;
    arm_after(limit);
  }
  // Whether the last wait ended because its time was up.
  [[nodiscard]] bool expired() const noexcept { return expired_; }

  void on_timeout() noexcept override {
    expired_ = true;
    cancel();
  }
  void on_drain() noexcept override {
    if (closes_on_drain_) cancel();
  }

 private:
  void cancel() noexcept {
    asio::error_code ignored;
    client_.cancel(ignored);
    upstream_.cancel(ignored);
  }

  core::TimeoutList& list_;
  core::TcpSocket& client_;
  core::TcpSocket& upstream_;
  bool closes_on_drain_ = false;
  bool expired_ = false;
};

struct TunnelBytes {
  std::uint64_t from_client = 0;
  std::uint64_t from_upstream = 0;
};

// Relays until both directions ended, either side failed, or `idle` passed with no byte moving.
core::Task<TunnelBytes> tunnel(core::TcpSocket& client, core::TcpSocket& upstream,
                               core::BufferPool& buffers, TunnelDeadline& deadline,
                               core::Clock::duration idle);

}  // namespace bulwark::proxy
