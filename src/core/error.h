#pragma once
// The one error type of bulwark (DESIGN.md §3a): it says who is at fault, which local status a
// client gets, and whether the request may be retried. Functions return Result<T>; nothing on the
// data path throws.

#include <cstdint>
#include <expected>
#include <string_view>

namespace bulwark::core {

enum class Fault : std::uint8_t {
  kClient,    // the downstream peer sent something we refuse
  kUpstream,  // a backend failed, timed out or misbehaved
  kInternal,  // our own limits or bugs
};

enum class ErrorKind : std::uint8_t {
  kBadRequest,             // 400: malformed or ambiguous message
  kUriTooLong,             // 414: request line over the limit
  kHeadersTooLarge,        // 431: header section over the byte or count limit
  kBodyTooLarge,           // 413: body over the configured limit
  kRequestTimeout,         // 408: headers or body not received in time
  kNotImplemented,         // 501: a feature we do not do (yet), e.g. Upgrade
  kNoRoute,                // 404: no virtual host or route matched
  kTooManyConnections,     // 429: per-client connection limit
  kUpstreamConnectFailed,  // 502: could not connect to any endpoint
  kUpstreamProtocol,       // 502: the backend sent an invalid response
  kUpstreamReset,          // 502: the backend closed or reset before a complete response
  kUpstreamRefused,        // 502: the backend refused the request unprocessed (HTTP/2
                           // REFUSED_STREAM, RFC 9113 §8.7): any request may go again
  kUpstreamTimeout,        // 504: the backend did not answer in time
  kNoHealthyUpstream,      // 503: the cluster has no endpoint to send to
  kUpstreamOverflow,       // 503: a circuit breaker of the cluster is full
  kDownstreamClosed,       // the client went away (no response possible)
  kInternal,               // 500
};

struct Error {
  ErrorKind kind;
  // A static string: what exactly was wrong, for logs and for the client's error page. Must never
  // contain backend addresses.
  std::string_view detail;
  // True when the failure happened before the request could have had any effect upstream
  // (e.g. a reused connection reset before any response byte), so an idempotent retry is safe.
  bool retry_safe = false;

  [[nodiscard]] Fault fault() const noexcept;
  [[nodiscard]] int http_status() const noexcept;
  [[nodiscard]] std::string_view name() const noexcept;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string_view detail,
                                   bool retry_safe = false) {
  return std::unexpected<Error>(Error{kind, detail, retry_safe});
}

}  // namespace bulwark::core
