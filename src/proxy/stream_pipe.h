#pragma once
// Where the body relay reads a body from and writes one to: the socket of an HTTP/1.1 connection
// (a net::Transport, whose operations Asio runs directly), or one stream of a multiplexed
// connection (HTTP/2), whose connection turns the bytes into frames.

#include <asio/buffer.hpp>
#include <span>

#include "core/io.h"
#include "net/tls/transport.h"

namespace bulwark::proxy {

// One stream of a multiplexed connection, as a byte stream in each direction.
class StreamPipe {
 public:
  // The stream's next body bytes; eof after its last ones, an error when it was reset.
  virtual core::Task<net::IoResult> read_some(asio::mutable_buffer buffer) = 0;
  // Queues the bytes on the stream; completes when the connection can take more (backpressure).
  virtual core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) = 0;
  // Ends a pending read_some or write with operation_aborted (a deadline passed).
  virtual void cancel() noexcept = 0;

 protected:
  ~StreamPipe() = default;
};

// Exactly one of the two is set.
struct BodyPort {
  net::Transport* transport = nullptr;
  StreamPipe* pipe = nullptr;

  // Not coroutines: they hand back the operation of whichever end this is, adding no frame.
  [[nodiscard]] core::Task<net::IoResult> read_some(asio::mutable_buffer buffer) const {
    if (transport != nullptr) return transport->read_some(buffer);
    return pipe->read_some(buffer);
  }
  [[nodiscard]] core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) const {
    if (transport != nullptr) return transport->write(pieces);
    return pipe->write(pieces);
  }
};

}  // namespace bulwark::proxy
