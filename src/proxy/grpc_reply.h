#pragma once
// gRPC clients read errors from grpc-status and grpc-message, not from the HTTP status: a reply
// bulwark makes itself (no route, a refusal, the backend down or slow) reaches them as a gRPC
// "trailers-only" response (HTTP 200, the status in the head and no body), as the gRPC over
// HTTP/2 protocol describes; the HTTP status maps to a gRPC code as gRPC's own
// http-grpc-status-mapping does.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace bulwark::proxy {

// Whether the request is a gRPC call (Content-Type application/grpc, with or without +proto...).
[[nodiscard]] bool is_grpc_request(const http::RequestHead& request) noexcept;
// The gRPC status code for a local reply's HTTP status.
[[nodiscard]] std::uint32_t grpc_status_for(std::uint16_t http_status) noexcept;
// grpc-message: percent-encoded as the protocol requires (printable ASCII but '%' as it is).
[[nodiscard]] std::string grpc_message(std::string_view text);

}  // namespace bulwark::proxy
