#pragma once
// The one deadline of a client connection (HTTP/1.1) or of one stream (HTTP/2). At most one I/O
// operation of either is pending at a time, so one deadline is enough: before each wait the
// connection says what it waits for and for how long; when the time is up, the tick cancels the
// client's socket (or stream) and the upstream socket, and the waiting coroutine finds out what
// expired (and so which status to answer: 408, 504, or none).

#include <asio/ip/tcp.hpp>
#include <cstdint>

#include "core/io.h"
#include "core/timeout_list.h"
#include "proxy/stream_pipe.h"

namespace bulwark::proxy {

enum class Waiting : std::uint8_t {
  kNothing,
  kIdle,             // keep-alive: no request in progress (parked)
  kIdleHot,          // keep-alive, just after a response: the coroutine waits until the next tick
  kStreamsOpen,      // an HTTP/2 reader while streams are open: a drain wakes it (to send GOAWAY)
  kRequestHead,      // 408
  kRequestBody,      // 408
  kClientWrite,      // client does not read: close
  kUpstreamConnect,  // 504
  kUpstreamWrite,    // 504
  kUpstreamRead,     // 504
};

class ConnectionDeadline final : public core::TimeoutEntry {
 public:
  ConnectionDeadline(core::TimeoutList& list, core::TcpSocket& client) noexcept
      : list_(list), client_(&client) {
    list_.link(*this);
  }
  ConnectionDeadline(core::TimeoutList& list, StreamPipe& stream) noexcept
      : list_(list), stream_(&stream) {
    list_.link(*this);
  }
  ConnectionDeadline(const ConnectionDeadline&) = delete;
  ConnectionDeadline& operator=(const ConnectionDeadline&) = delete;
  ~ConnectionDeadline() override { list_.unlink(*this); }

  void wait_for(Waiting what, core::Clock::duration limit) noexcept {
    waiting_ = what;
    arm_after(limit);
  }
  void clear() noexcept {
    waiting_ = Waiting::kNothing;
    disarm();
  }
  // The upstream socket to cancel as well, while one is in use (nullptr: none).
  void set_upstream(core::TcpSocket* upstream) noexcept {
    upstream_ = upstream;
    upstream_stream_ = nullptr;
  }
  // Or the upstream stream, on a connection that other streams share (HTTP/2): its socket is
  // not this stream's to cancel.
  void set_upstream_stream(StreamPipe* upstream) noexcept {
    upstream_ = nullptr;
    upstream_stream_ = upstream;
  }

  // What was being waited for when the deadline passed; kNothing if it has not.
  [[nodiscard]] Waiting expired() const noexcept { return expired_; }
  void reset_expired() noexcept { expired_ = Waiting::kNothing; }

  // An idle connection closes at once when the worker drains; a busy one finishes its response.
  void on_drain() noexcept override {
    if (waiting_ != Waiting::kIdle && waiting_ != Waiting::kIdleHot &&
        waiting_ != Waiting::kStreamsOpen) {
      return;
    }
    cancel_client();
  }

  void on_timeout() noexcept override {
    expired_ = waiting_;
    cancel_now();
  }
  // Ends the pending waits of both sides at once (an upgraded exchange whose one way ended).
  void cancel_now() noexcept {
    cancel_client();
    asio::error_code ignored;
    if (upstream_ != nullptr) upstream_->cancel(ignored);
    if (upstream_stream_ != nullptr) upstream_stream_->cancel();
  }

 private:
  void cancel_client() noexcept {
    if (stream_ != nullptr) {
      stream_->cancel();
      return;
    }
    asio::error_code ignored;
    client_->cancel(ignored);
  }

  core::TimeoutList& list_;
  core::TcpSocket* client_ = nullptr;
  StreamPipe* stream_ = nullptr;
  core::TcpSocket* upstream_ = nullptr;
  StreamPipe* upstream_stream_ = nullptr;
  Waiting waiting_ = Waiting::kNothing;
  Waiting expired_ = Waiting::kNothing;
};

}  // namespace bulwark::proxy
