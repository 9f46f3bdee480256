#pragma once
// The client half of a stream, as the stream's handling (StreamHandler) and its UpstreamLeg use
// it, whatever the client speaks: an HTTP/1.1 connection serves one stream at a time and is its
// own client side (DownstreamConnection); an HTTP/2 connection gives each of its streams one
// (H2StreamSide). What is the same for both lives here; how a response reaches the client and
// how a request body arrives is each protocol's own.

#include <asio/buffer.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "core/buffer.h"
#include "core/io.h"
#include "http/message.h"
#include "net/send_file.h"
#include "net/tls/client_identity.h"
#include "proxy/body_relay.h"
#include "proxy/connection_deadline.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream_pipe.h"

namespace bulwark::proxy {

class Stream;
class WorkerContext;

// What a client connection knows about its peer, shared by all its streams.
struct ClientPeer {
  asio::ip::address address;
  std::uint16_t port = 0;
  bool trusted = false;  // inside the configured trusted networks (forwarding headers kept)
  // Where the client connected to, as a PROXY header said (port 0: no header said).
  asio::ip::tcp::endpoint destination;
  // The verified client certificate's identity (mTLS listeners only).
  const net::tls::ClientIdentity* identity = nullptr;
  bool certificate_rejected = false;  // presented one that did not verify
};

// Where a request body comes from, for the body relay.
struct RequestBodySource {
  BodyPort port;
  core::Buffer& buffer;   // bytes already received; the relay reads more into it
  std::size_t floor = 0;  // bytes before it are not the body's (the head) and stay
};

class ClientSide {
 public:
  explicit ClientSide(WorkerContext& worker) noexcept : worker_(worker) {}
  ClientSide(const ClientSide&) = delete;
  ClientSide& operator=(const ClientSide&) = delete;

  [[nodiscard]] WorkerContext& worker() const noexcept { return worker_; }
  // The deadline of the stream's waits (HTTP/1.1: the connection's).
  [[nodiscard]] virtual ConnectionDeadline& deadline() noexcept = 0;
  [[nodiscard]] virtual const ProxySnapshot& snapshot() const noexcept = 0;
  [[nodiscard]] virtual const ListenerRuntime& listener() const noexcept = 0;
  [[nodiscard]] virtual const ClientPeer& peer() const noexcept = 0;
  [[nodiscard]] virtual bool secure() const noexcept = 0;

  // HTTP/2: the connection outlives each stream, so keep-alive is not the stream's to decide,
  // and bodies are framed by the protocol (no chunked coding, no Connection field).
  [[nodiscard]] virtual bool multiplexed() const noexcept = 0;
  // The connection closes after the current response (drain, or its listener was removed).
  [[nodiscard]] virtual bool closing() const noexcept = 0;
  // The client cancelled the stream (HTTP/2 RST_STREAM): nothing may be sent or retried for it.
  // An HTTP/1.1 client's departure shows only when bulwark next reads or writes.
  [[nodiscard]] virtual bool gone() const noexcept = 0;

  // Readies the stream's request body decoder for the request just received.
  virtual void start_request_body(Stream& stream) = 0;
  [[nodiscard]] virtual RequestBodySource request_body_source() = 0;
  // Whether body bytes the client sent may stay unread when the response ends (HTTP/1.1: the
  // close then lingers so that they do not turn it into a reset).
  virtual void set_unread_input(bool unread) noexcept = 0;
  // Answers Expect: 100-continue, unless body bytes already came.
  virtual core::Task<bool> send_continue() = 0;

  // Readies a response head that the filters have seen; it goes out with the first send_body
  // or send_file (HTTP/1.1 writes head and body in one gathered write). False when the head
  // cannot be sent (larger than a buffer).
  virtual bool begin_response(http::ResponseHead& head) = 0;
  // Body bytes after begin_response (none, for a response without a body); false when the
  // client is gone.
  virtual core::Task<bool> send_body(std::span<const asio::const_buffer> body, bool end_stream) = 0;
  // A file segment after begin_response, with `prefix` (text pieces) before it.
  virtual core::Task<net::SendFileResult> send_file(std::span<const asio::const_buffer> prefix,
                                                    int fd, std::uint64_t offset,
                                                    std::uint64_t length) = 0;
  // An interim (1xx) response, such as 103 Early Hints.
  virtual core::Task<bool> send_interim(http::ResponseHead& head) = 0;
  // Sends an upstream response: its head, then its body, decoded from the upstream's framing
  // and framed as the client's protocol wants.
  virtual core::Task<RelayResult> relay_response(ResponseRelay& relay) = 0;

 protected:
  ~ClientSide() = default;

 private:
  WorkerContext& worker_;
};

}  // namespace bulwark::proxy
