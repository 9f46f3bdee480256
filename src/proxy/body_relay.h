#pragma once
// Moves one message body from a source socket to a sink socket: removes the source framing
// (BodyDecoder), applies the sink framing, lets the filters see each run of bytes, and writes
// everything decoded from one read in one gathered write. It reads again only after that write
// has completed, so a slow sink slows the source (backpressure) and memory stays at one buffer.
// Used for request bodies (client to upstream) and response bodies (upstream to client).

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/buffer.h"
#include "core/error.h"
#include "core/io.h"
#include "http/h1/body_decoder.h"
#include "net/tls/transport.h"
#include "proxy/connection_deadline.h"
#include "proxy/filter/body_chunk.h"
#include "proxy/filter/verdict.h"
#include "proxy/stream_pipe.h"

namespace bulwark::proxy {

// Receives each run of body bytes on its way (the filter chain of one direction).
class BodyTap {
 public:
  virtual Verdict on_chunk(BodyChunk& chunk, bool end_stream) = 0;
  // Whether the source is still read to its end, through the tap, once the sink failed (a cache
  // storing the response for others after its own client left). The relay still reports
  // kSinkFailed.
  [[nodiscard]] virtual bool reads_on_without_sink() const noexcept { return false; }

 protected:
  ~BodyTap() = default;
};

// A source framing other than HTTP/1.1's (FastCGI STDOUT records), behind one virtual call per
// decode step. Same contract as http::h1::BodyDecoder's decode() and done(); the end of the
// connection never ends such a body, and it has no trailers.
class BodySource {
 public:
  virtual core::Result<http::h1::BodyDecoder::Step> decode(std::string_view in) = 0;
  [[nodiscard]] virtual bool done() const noexcept = 0;
  [[nodiscard]] virtual std::uint64_t body_bytes() const noexcept = 0;

 protected:
  ~BodySource() = default;
};

// How the body is framed towards the sink.
enum class SinkFraming : std::uint8_t {
  kAsIs,          // the bytes go as they are (Content-Length or until close)
  kChunked,       // HTTP/1.1 chunked
  kFastCgiStdin,  // FastCGI STDIN records, ended by an empty one
};

enum class RelayOutcome : std::uint8_t {
  kDone,           // the whole body was written
  kSourceClosed,   // the source closed before the body was complete
  kSourceFailed,   // reading failed (reset, or the read deadline expired)
  kSinkFailed,     // writing failed (reset, or the write deadline expired)
  kMalformed,      // the source's framing is invalid (`error` says how)
  kTooLarge,       // more body bytes than `max_bytes`
  kFilterStopped,  // a filter did not continue (it responded locally)
  kHeadRejected,   // the response head could not be sent (too large): nothing went out
};

struct RelayResult {
  RelayOutcome outcome = RelayOutcome::kDone;
  std::uint64_t body_bytes = 0;  // body data bytes written to the sink
  core::Error error{core::ErrorKind::kInternal, ""};
};

// A copy of everything a relay wrote, up to `limit` bytes, so that a request can be sent again
// exactly as the filters passed it (a retry on another endpoint). Past the limit it is given up.
struct KeptBytes {
  std::string bytes;
  std::size_t limit = 0;
  bool overflowed = false;

  void append(std::span<const asio::const_buffer> pieces);
};

struct RelayEnds {
  BodyPort source;
  // Holds source bytes already received after the head. Bytes before `floor` (the head, whose
  // views are still in use) are never moved or overwritten.
  core::Buffer& buffer;
  std::size_t floor;
  BodyPort sink;
  http::h1::BodyDecoder& decoder;
  SinkFraming sink_framing;
  std::string_view prefix;  // written before the body (a serialized head), in the same write
  ConnectionDeadline& deadline;
  Waiting read_wait;
  core::Clock::duration read_timeout;
  Waiting write_wait;
  core::Clock::duration write_timeout;
  std::uint64_t max_bytes = 0;  // 0: no limit
  BodyTap* tap = nullptr;
  // Set TCP_NODELAY on the sink (a socket) before its second write (a body that needs several
  // writes must not wait for delayed ACKs); *nodelay_done remembers it per connection.
  bool* nodelay_done = nullptr;
  KeptBytes* keep = nullptr;            // copies of the writes, for a resend
  BodySource* framed_source = nullptr;  // decodes the source instead of `decoder` when set
  // The body's trailers when the source delivers them itself (an HTTP/2 stream), not through
  // `decoder`; complete once the source reports its end.
  const http::HeaderMap* source_trailers = nullptr;
  // When set, the source's trailers are copied here before the filters see the end of the body
  // (they may change them), and the sink gets these.
  http::HeaderMap* trailers = nullptr;
};

core::Task<RelayResult> relay_body(RelayEnds ends);

// An upstream response on its way to the client (ClientSide::relay_response).
struct ResponseRelay {
  http::ResponseHead& head;  // the filters have seen it; framing as the upstream sent it
  BodyPort source;
  core::Buffer& buffer;  // response bytes received after the head
  http::h1::BodyDecoder& decoder;
  BodyTap* tap;
  core::Clock::duration read_timeout;
  bool request_done;                    // the request body was read to its end
  bool keep_alive = false;              // out: the client connection stays open (HTTP/1.1)
  BodySource* framed_source = nullptr;  // decodes the source instead of `decoder` (FastCGI)
  const http::HeaderMap* source_trailers = nullptr;  // see RelayEnds
  http::HeaderMap* trailers = nullptr;               // see RelayEnds
};

}  // namespace bulwark::proxy
