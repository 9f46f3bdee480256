#include "core/error.h"

namespace bulwark::core {

Fault Error::fault() const noexcept {
  switch (kind) {
    case ErrorKind::kBadRequest:
    case ErrorKind::kUriTooLong:
    case ErrorKind::kHeadersTooLarge:
    case ErrorKind::kBodyTooLarge:
    case ErrorKind::kRequestTimeout:
    case ErrorKind::kNotImplemented:
    case ErrorKind::kNoRoute:
    case ErrorKind::kTooManyConnections:
    case ErrorKind::kDownstreamClosed:
      return Fault::kClient;
    case ErrorKind::kUpstreamConnectFailed:
    case ErrorKind::kUpstreamProtocol:
    case ErrorKind::kUpstreamReset:
    case ErrorKind::kUpstreamRefused:
    case ErrorKind::kUpstreamTimeout:
    case ErrorKind::kNoHealthyUpstream:
    case ErrorKind::kUpstreamOverflow:
      return Fault::kUpstream;
    case ErrorKind::kInternal:
      return Fault::kInternal;
  }
  return Fault::kInternal;
}

int Error::http_status() const noexcept {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return 400;
    case ErrorKind::kUriTooLong:
      return 414;
    case ErrorKind::kHeadersTooLarge:
      return 431;
    case ErrorKind::kBodyTooLarge:
      return 413;
    case ErrorKind::kRequestTimeout:
      return 408;
    case ErrorKind::kNotImplemented:
      return 501;
    case ErrorKind::kNoRoute:
      return 404;
    case ErrorKind::kTooManyConnections:
      return 429;
    case ErrorKind::kUpstreamConnectFailed:
    case ErrorKind::kUpstreamProtocol:
    case ErrorKind::kUpstreamReset:
    case ErrorKind::kUpstreamRefused:
      return 502;
    case ErrorKind::kUpstreamTimeout:
      return 504;
    case ErrorKind::kNoHealthyUpstream:
    case ErrorKind::kUpstreamOverflow:
      return 503;
    case ErrorKind::kDownstreamClosed:
      return 499;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

std::string_view Error::name() const noexcept {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return "bad_request";
    case ErrorKind::kUriTooLong:
      return "uri_too_long";
    case ErrorKind::kHeadersTooLarge:
      return "headers_too_large";
    case ErrorKind::kBodyTooLarge:
      return "body_too_large";
    case ErrorKind::kRequestTimeout:
      return "request_timeout";
    case ErrorKind::kNotImplemented:
      return "not_implemented";
    case ErrorKind::kNoRoute:
      return "no_route";
    case ErrorKind::kTooManyConnections:
      return "too_many_connections";
    case ErrorKind::kUpstreamConnectFailed:
      return "upstream_connect_failed";
    case ErrorKind::kUpstreamProtocol:
      return "upstream_protocol_error";
    case ErrorKind::kUpstreamReset:
      return "upstream_reset";
    case ErrorKind::kUpstreamRefused:
      return "upstream_refused";
    case ErrorKind::kUpstreamTimeout:
      return "upstream_timeout";
    case ErrorKind::kNoHealthyUpstream:
      return "no_healthy_upstream";
    case ErrorKind::kUpstreamOverflow:
      return "upstream_overflow";
    case ErrorKind::kDownstreamClosed:
      return "downstream_closed";
    case ErrorKind::kInternal:
      return "internal_error";
  }
  return "internal_error";
}

}  // namespace bulwark::core
