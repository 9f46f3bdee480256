// The upgrade path of an UpstreamLeg: WebSocket over HTTP/1.1 (RFC 6455 Upgrade) and over
// HTTP/2 extended CONNECT (RFC 8441), to HTTP/1.1 backends. Once the backend answers 101, the
// exchange is no longer HTTP: the bytes go both ways through run_upgrade_tunnel.

#include <algorithm>
#include <array>

#include "core/log.h"
#include "http/websocket_handshake.h"
#include "proxy/client_side.h"
#include "proxy/io.h"
#include "proxy/stream_handler.h"
#include "proxy/upgrade_tunnel.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {

std::optional<LocalReply> UpstreamLeg::prepare_upgrade() {
  http::RequestHead& request = stream_.request;
  const bool websocket = http::iequals(request.protocol, "websocket");
  if (!websocket || !websocket_.enabled || spec_.protocol == config::UpstreamProtocol::kFastCgi) {
    // An extended CONNECT has no plain meaning to fall back on; an HTTP/1.1 request goes on
    // without its upgrade, as if the client had not asked for one.
    if (request.method == http::Method::kConnect) {
      return LocalReply{.status = 501, .detail = "this protocol cannot be tunnelled here"};
    }
    request.upgrade = false;
    return std::nullopt;
  }
  if (may_multiplex_) {
    // A WebSocket over HTTP/2 to the backend needs its extended CONNECT (RFC 8441), which the
    // upstream side does not speak yet.
    return LocalReply{.status = 501, .detail = "WebSocket to an HTTP/2 backend is not available"};
  }
  if (!websocket_.allowed_origins.empty()) {
    const std::string_view origin = request.headers.get("origin");
    const bool allowed =
        std::any_of(websocket_.allowed_origins.begin(), websocket_.allowed_origins.end(),
                    [origin](const std::string& listed) { return http::iequals(listed, origin); });
    if (!allowed) return LocalReply{.status = 403, .detail = "the WebSocket origin is not allowed"};
  }
  if (request.http2) {
    // RFC 8441 §5: the stream's DATA becomes the WebSocket's bytes; the backend gets the
    // HTTP/1.1 opening handshake it knows.
    request.method = http::Method::kGet;
    request.method_token = "GET";
    request.framing = http::BodyFraming::kNone;
    request.content_length = 0;
    websocket_key_ = http::make_websocket_key();
    request.headers.set("sec-websocket-key", websocket_key_);
    if (!request.headers.has("sec-websocket-version")) {
      request.headers.set("sec-websocket-version", "13");
    }
  }
  return std::nullopt;
}

core::Task<bool> UpstreamLeg::switch_protocols() {
  http::RequestHead& request = stream_.request;
  http::ResponseHead& response = stream_.response;
  stream_.upstream_status = response.status;
  stream_.info().upstream_address = stream_.upstream_label;
  if (request.http2) {
    // bulwark made the key, so it checks the answer as the WebSocket client would have.
    if (response.headers.get("sec-websocket-accept") != http::websocket_accept(websocket_key_)) {
      release_connection(false);
      co_return co_await fail({core::ErrorKind::kUpstreamProtocol,
                               "the upstream server's WebSocket handshake is invalid"});
    }
    response.headers.remove("sec-websocket-accept");
    response.status = 200;  // RFC 8441 §5: the stream is open; no 101 in HTTP/2
  }
  response.framing = http::BodyFraming::kNone;
  response.keep_alive = false;
  (void)stream_.chain.response_headers(response, false, stream_);
  add_listener_headers(client_.listener(), response);
  // The forwarding filter removed the hop-by-hop Upgrade field; a 101 names the new protocol.
  if (!request.http2) response.headers.set("upgrade", request.protocol);
  client_.set_unread_input(false);
  if (!client_.begin_response(response) || !co_await client_.send_body({}, false)) {
    release_connection(false);
    stream_.failure = "the client went away before the protocol switch";
    co_return false;
  }

  // Bytes either side sent right behind the handshake are passed on first.
  const RequestBodySource client = client_.request_body_source();
  const std::string_view client_early = view(client.buffer.readable());
  const std::string_view upstream_early = view(response_.readable());
  const UpgradedBytes moved = co_await run_upgrade_tunnel(
      {.port = client.port, .pending = client_early},
      {.port = {.transport = &connection_->transport}, .pending = upstream_early},
      client_.deadline(), client_.worker().buffers, websocket_.idle_timeout);
  stream_.body_bytes_sent = moved.from_upstream;
  release_connection(false);
  // An HTTP/2 stream ends; an HTTP/1.1 connection that switched protocols is done.
  if (client_.multiplexed()) co_await client_.send_body({}, true);
  co_return false;
}

}  // namespace bulwark::proxy
