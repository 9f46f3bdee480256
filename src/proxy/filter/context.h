#pragma once
// What a filter may do to its stream, besides changing the headers it is handed.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/arena.h"
#include "core/io.h"
#include "http/header_map.h"
#include "proxy/filter/stream_info.h"
#include "proxy/filter/verdict.h"

namespace bulwark::proxy {

// A body a filter supplies from elsewhere instead of a string (a cache hit: a stored body, which
// may still be arriving from the origin for another request).
class ReplyBody {
 public:
  struct Run {
    std::string_view bytes;  // empty: the body ended (or failed, see below)
    bool failed = false;     // it cannot be completed: the client connection must be closed
  };
  // The next run of at most `max` bytes; waits while the bytes are still on their way. A run
  // stays valid until the next call.
  virtual core::Task<Run> next(std::uint64_t max) = 0;

 protected:
  ~ReplyBody() = default;
};

struct LocalReply {
  std::uint16_t status = 500;
  // Empty body with status >= 400: the standard error page (HTML or JSON by the client's Accept).
  std::string_view body;
  std::string_view content_type;  // defaults to text/plain when a body is given
  std::string_view detail;        // for the error page and the log, never shown raw otherwise
  // More header fields, such as Location for a redirect; respond() keeps copies.
  std::span<const http::HeaderField> headers;
  // A complete response of the filter's own (a stored one): `headers` are all its fields, and
  // neither an error page nor a default Content-Type is added.
  bool verbatim = false;
  // The body comes from here instead of `body` (the filter keeps it alive for the stream):
  // `streamed_length` bytes, or when that is unknown, as many as it yields (chunked for HTTP/1.1).
  ReplyBody* streamed = nullptr;
  std::optional<std::uint64_t> streamed_length;
};

class Context {
 public:
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  virtual core::Arena& arena() noexcept = 0;
  virtual StreamInfo& info() noexcept = 0;
  // Replaces the upstream response with a local one. Return its result from the hook:
  //   return ctx.respond({.status = 403});
  // Response filters still run over the local reply.
  virtual Verdict respond(const LocalReply& reply) = 0;
  // Continues the chain after a hook returned kPause. Must be called on the stream's worker. A
  // paused filter may call respond() first: the local reply then replaces the rest of the phase.
  virtual void resume() = 0;
  // The stream's worker, for asynchronous work a paused filter starts (it resumes from there).
  virtual const core::Executor& executor() noexcept = 0;
  // The response's trailer fields (HTTP/1.1 chunked trailers, HTTP/2 trailers), complete when
  // on_response_body sees end_stream; what a filter leaves here is what the client gets (when
  // its framing can carry trailers). gRPC-Web, for one, moves them into the body.
  virtual http::HeaderMap& response_trailers() noexcept = 0;

 protected:
  ~Context() = default;
};

}  // namespace bulwark::proxy
