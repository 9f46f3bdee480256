#include "proxy/stream_handler.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <memory>

#include "filters/request_id/request_id_filter.h"
#include "http/path_normalizer.h"
#include "http/status.h"
#include "proxy/background_refresh.h"
#include "proxy/error_page.h"
#include "proxy/grpc_reply.h"
#include "proxy/tls_headers.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"
#include "router/redirect.h"

namespace bulwark::proxy {
namespace {

// Formatted per stream, not kept per connection: idle connections stay small. IPv4 is formatted
// by hand because inet_ntop goes through sprintf, which showed in profiles.
std::string_view address_text(const asio::ip::address& address, core::Arena& arena) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  std::size_t size = 0;
  if (address.is_v4()) {
    for (const unsigned char byte : address.to_v4().to_bytes()) {
      if (size != 0) text[size++] = '.';
      if (byte >= 100) text[size++] = static_cast<char>('0' + byte / 100);
      if (byte >= 10) text[size++] = static_cast<char>('0' + byte / 10 % 10);
      text[size++] = static_cast<char>('0' + byte % 10);
    }
  } else {
    const auto bytes = address.to_v6().to_bytes();
    inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
    size = std::strlen(text.data());
  }
  return arena.copy(std::string_view(text.data(), size));
}

void log_stream(WorkerContext& worker, Stream& stream) {
  if (!worker.access_log.enabled()) return;
  const http::RequestHead& request = stream.request;
  const StreamInfo& info = stream.info();
  worker.access_log.log({
      .remote_addr = info.client_address_text,
      .method = request.method_token,
      .target = request.target,
      .protocol = request.http2                ? std::string_view("HTTP/2.0")
                  : request.version_minor == 0 ? std::string_view("HTTP/1.0")
                                               : std::string_view("HTTP/1.1"),
      .status = stream.response.status,
      .bytes_sent = stream.body_bytes_sent,
      .referer = request.headers.get("referer"),
      .user_agent = request.headers.get("user-agent"),
      .host = request.host(),
      .request_id = info.request_id,
      .listener = info.listener_name,
      .upstream_addr = stream.upstream_label,
      .upstream_status = stream.upstream_status,
      .upstream_time = stream.upstream_time,
      .duration = core::Clock::now() - info.start,
      .failure = stream.failure,
  });
}

// A stream that never started (no request head) has no series and is not counted.
void count_stream(WorkerContext& worker, Stream& stream) {
  if (stream.metrics == nullptr) return;
  const StreamInfo& info = stream.info();
  worker.metrics.record(worker.index, *stream.metrics,
                        {.status = stream.response.status,
                         .duration = core::Clock::now() - info.start,
                         .body_bytes = stream.body_bytes_sent,
                         .upstream_time = stream.upstream_time,
                         .retries = info.upstream_retries});
}

}  // namespace

void start_stream_info(const ClientSide& client, Stream& stream) {
  const ClientPeer& peer = client.peer();
  StreamInfo& info = stream.info();
  info.client_address = peer.address;
  info.client_port = peer.port;
  info.client_address_text = address_text(peer.address, stream.arena());
  info.scheme = client.secure() ? "https" : "http";
  info.listener_name = client.listener().spec->name;
  info.client_trusted = peer.trusted;
  info.start = core::Clock::now();
  stream.metrics = &client.listener().metrics;
}

void finish_stream(WorkerContext& worker, std::unique_ptr<Stream> stream) {
  log_stream(worker, *stream);
  count_stream(worker, *stream);
  stream->chain.stream_done(
      {.status = stream->response.status, .completed = stream->failure.empty()});
  worker.give_back(std::move(stream));
}

router::RouteHit StreamHandler::route() const {
  const http::RequestHead& request = stream_.request;
  const ListenerRuntime& listener = client_.listener();
  return listener.router.route({.host = request.host(),
                                .target = request.path,
                                .method = request.method_token,
                                .headers = &request.headers,
                                .client = client_.peer().address,
                                .local_port = listener.endpoint.port()});
}

core::Task<bool> StreamHandler::serve() {
  Stream& stream = stream_;
  http::RequestHead& request = stream.request;
  const ProxySnapshot& snapshot = client_.snapshot();
  const config::Config& config = *snapshot.config;
  const ListenerRuntime& listener = client_.listener();
  client_.start_request_body(stream);
  const bool has_body = request.framing != http::BodyFraming::kNone;
  // A reply that does not read the request body cannot keep the connection.
  const bool keep_if_local = !has_body;
  if (has_body) client_.set_unread_input(true);  // cleared once the body has been read

  // Routing, filters and the backend all see one spelling of the path (http/path_normalizer.h).
  std::string normal_path;
  switch (http::normalize_path(request.path, normal_path)) {
    case http::PathNormalization::kUnchanged:
      break;
    case http::PathNormalization::kChanged:
      request.path = stream.arena().copy(normal_path);
      break;
    case http::PathNormalization::kInvalid:
      stream.chain.build(snapshot.builtin_filters, stream.arena());
      co_return co_await reply(
          {.status = 400, .detail = "the request path is malformed or leaves the root"},
          keep_if_local);
  }

  if (client_.peer().certificate_rejected) {
    stream.chain.build(snapshot.builtin_filters, stream.arena());
    co_return co_await reply({.status = 400, .detail = "the client certificate did not verify"},
                             keep_if_local);
  }
  if (listener.spec->redirect_to_https) {
    stream.chain.build(snapshot.builtin_filters, stream.arena());
    co_return co_await redirect_to_https(*listener.spec->redirect_to_https, keep_if_local);
  }

  // The route comes first: it chooses the filters (DESIGN.md §2a: per virtual host, overridden
  // per route). A request no route takes still runs the built-in ones.
  const router::RouteHit hit = route();
  const RouteRuntime* runtime = hit.route != nullptr ? &listener.runtime_of(hit) : nullptr;
  stream.chain.build(runtime != nullptr ? runtime->filters : snapshot.builtin_filters,
                     stream.arena());
  if (hit.route != nullptr) {
    stream.info().route_name = hit.route->name;
    stream.metrics = &runtime->metrics;
  }

  // Only extended CONNECT (RFC 8441: a WebSocket over HTTP/2) opens a tunnel, on a proxy route.
  if (request.method == http::Method::kConnect && request.protocol.empty()) {
    co_return co_await reply({.status = 501, .detail = "CONNECT tunnels are not supported"}, false);
  }
  if (config.limits.max_body_bytes != 0 && request.framing == http::BodyFraming::kContentLength &&
      request.content_length > config.limits.max_body_bytes) {
    co_return co_await reply({.status = 413, .detail = "the request body is larger than allowed"},
                             false);
  }

  Verdict verdict = stream.chain.request_headers(request, !has_body, stream);
  while (verdict == Verdict::kPause) {
    co_await stream.wait_for_resume();
    verdict = stream.local_reply ? Verdict::kRespond
                                 : stream.chain.request_headers(request, !has_body, stream);
  }
  if (verdict == Verdict::kBuffer) {
    verdict = stream.respond({.status = 500, .detail = "request body buffering is not available"});
  }
  if (verdict == Verdict::kRespond) {
    const bool kept = co_await reply(*stream.local_reply, keep_if_local);
    // A filter answered (a cache with a stale response) and wants the origin asked all the same.
    const auto* proxy =
        hit.route != nullptr ? std::get_if<config::ProxyAction>(&hit.route->action) : nullptr;
    if (stream.refresh_requested() && proxy != nullptr) {
      start_background_refresh(client_, request, *proxy, *hit.route, *runtime);
    }
    co_return kept;
  }
  if (hit.route == nullptr) {
    co_return co_await reply({.status = 404, .detail = "no route matches this request"},
                             keep_if_local);
  }
  if (hit.route->require_client_certificate && client_.peer().identity == nullptr) {
    co_return co_await reply(
        {.status = 403, .detail = "this resource requires a verified client certificate"},
        keep_if_local);
  }
  // Proxying, the common action, awaits the upstream leg from this frame: every coroutine level
  // is one more frame to allocate per request.
  if (const auto* proxy = std::get_if<config::ProxyAction>(&hit.route->action)) {
    // The deleter only runs the destructor: the arena owns the memory.
    const auto destroy = [](UpstreamLeg* leg) { std::destroy_at(leg); };
    const std::unique_ptr<UpstreamLeg, decltype(destroy)> leg(
        start_upstream_leg(*proxy, hit.route->match, *runtime), destroy);
    co_return co_await leg->run();
  }
  co_return co_await reply_locally(*hit.route, *runtime, keep_if_local);
}

core::Task<bool> StreamHandler::reply_locally(const config::Route& route,
                                              const RouteRuntime& runtime, bool keep_if_local) {
  const config::Action& action = route.action;
  if (const auto* direct = std::get_if<config::DirectResponseAction>(&action)) {
    co_return co_await send_local_reply(client_, stream_,
                                        {.status = direct->status, .body = direct->body},
                                        keep_if_local, direct->headers);
  }
  if (const auto* files = std::get_if<config::StaticAction>(&action)) {
    co_return co_await serve_static(*files, route, keep_if_local);
  }
  if (const auto* redirect = std::get_if<config::RedirectAction>(&action)) {
    const std::string location =
        router::redirect_location(*redirect, runtime.rewrite ? &*runtime.rewrite : nullptr,
                                  {.scheme = stream_.info().scheme,
                                   .host = stream_.request.host(),
                                   .target = stream_.request.path});
    const std::array<http::HeaderField, 1> fields{{{"location", location}}};
    co_return co_await reply(
        {.status = redirect->status, .detail = "redirected", .headers = fields}, keep_if_local);
  }
  co_return co_await reply({.status = 501, .detail = "this route's action is not available"},
                           keep_if_local);
}

void apply_route_rewrites(const ClientSide& client, Stream& stream,
                          const config::ProxyAction& action, const config::RouteMatch& match,
                          const RouteRuntime& runtime) {
  http::RequestHead& request = stream.request;
  if (runtime.rewrite) request.path = stream.arena().copy(runtime.rewrite->apply(request.path));
  if (action.prefix_rewrite) {
    StreamInfo& info = stream.info();
    info.public_path_prefix = match.path;
    info.upstream_path_prefix = *action.prefix_rewrite;
  }
  if (!action.host_rewrite.empty()) request.headers.set("host", action.host_rewrite);
  static const config::ClientCertificates default_names;
  const config::Listener& listener = *client.listener().spec;
  set_client_certificate_headers(request.headers,
                                 listener.tls ? listener.tls->client_certificates : default_names,
                                 client.peer().identity);
}

UpstreamLeg* StreamHandler::start_upstream_leg(const config::ProxyAction& action,
                                               const config::RouteMatch& match,
                                               const RouteRuntime& runtime) {
  apply_route_rewrites(client_, stream_, action, match, runtime);
  // In the stream's arena, not in a coroutine frame: a frame that large would miss Asio's
  // recycling of frames and go to malloc for every request.
  return stream_.arena().make<UpstreamLeg>(
      client_, stream_, client_.snapshot().clusters[action.cluster_index], action);
}

core::Task<bool> send_local_reply(ClientSide& client, Stream& stream, const LocalReply& reply,
                                  bool keep_alive, ExtraHeaders extra) {
  http::ResponseHead& response = stream.response;
  response.headers.clear();
  response.status = reply.status;
  response.reason = {};
  response.version_minor = stream.request.version_minor;
  StreamInfo& info = stream.info();
  if (info.request_id.empty()) info.request_id = filters::generate_request_id(stream.arena());

  if (reply.verbatim) co_return co_await send_verbatim_reply(client, stream, reply, keep_alive);
  if (reply.status >= 400 && is_grpc_request(stream.request)) {
    co_return co_await send_grpc_error(client, stream, reply, keep_alive);
  }
  std::string_view body = reply.body;
  std::string_view content_type = reply.content_type;
  if (body.empty() && reply.status >= 400) {
    if (const config::ErrorPage* own = find_error_page(*client.snapshot().config, reply.status)) {
      body = own->body;
      content_type = own->content_type;
    } else {
      const ErrorPage page = render_error_page(reply.status, reply.detail, info.request_id,
                                               stream.request.headers.get("accept"));
      body = stream.arena().copy(page.body);
      content_type = page.content_type;
    }
  }
  if (!body.empty()) {
    response.headers.add("content-type",
                         content_type.empty() ? "text/plain; charset=utf-8" : content_type);
  }
  for (const auto& [name, value] : extra)
    response.headers.set(name, value);
  for (const http::HeaderField& field : reply.headers)
    response.headers.set(field.name, field.value);
  const bool head_only = stream.request.method == http::Method::kHead;
  if (head_only) {
    response.framing = http::BodyFraming::kNone;
    response.headers.set("content-length", stream.arena().copy(std::to_string(body.size())));
  } else {
    response.framing = http::BodyFraming::kContentLength;
    response.content_length = body.size();
  }
  finish_local_head(client, stream, keep_alive, body.empty() || head_only);
  if (!reply.detail.empty() && reply.status >= 400) stream.failure = reply.detail;

  // Headers larger than a buffer: nothing sane to send.
  if (!client.begin_response(response)) co_return false;
  const std::array<asio::const_buffer, 1> pieces = {
      asio::const_buffer(body.data(), head_only ? 0 : body.size())};
  const bool written = co_await client.send_body(pieces, true);
  stream.body_bytes_sent = head_only ? 0 : body.size();
  co_return written&& response.keep_alive;
}

core::Task<bool> send_grpc_error(ClientSide& client, Stream& stream, const LocalReply& reply,
                                 bool keep_alive) {
  http::ResponseHead& response = stream.response;
  core::Arena& arena = stream.arena();
  response.status = 200;
  response.framing = http::BodyFraming::kContentLength;
  response.content_length = 0;
  response.headers.add("content-type", "application/grpc");
  response.headers.add("grpc-status", arena.copy(std::to_string(grpc_status_for(reply.status))));
  const std::string_view text =
      reply.detail.empty() ? http::reason_phrase(reply.status) : reply.detail;
  response.headers.add("grpc-message", arena.copy(grpc_message(text)));
  finish_local_head(client, stream, keep_alive, true);
  stream.failure = text;
  if (!client.begin_response(response)) co_return false;
  const bool written = co_await client.send_body({}, true);
  co_return written&& response.keep_alive;
}

void finish_local_head(ClientSide& client, Stream& stream, bool keep_alive, bool end_stream) {
  http::ResponseHead& response = stream.response;
  StreamInfo& info = stream.info();
  info.local_response = true;
  if (info.request_id.empty()) info.request_id = filters::generate_request_id(stream.arena());
  response.keep_alive = keep_alive && stream.request.keep_alive && !client.closing();
  if (!response.headers.has("date")) response.headers.add("date", client.worker().http_date());
  // A request refused before routing has no chain yet; the built-in one still marks the reply
  // as bulwark's (request id, Server).
  if (stream.chain.size() == 0) {
    stream.chain.build(client.snapshot().builtin_filters, stream.arena());
  }
  // A filter cannot replace a local reply with another one: verdicts are not acted on here.
  stream.chain.response_headers(response, end_stream, stream);
  add_listener_headers(client.listener(), response);
}

void add_listener_headers(const ListenerRuntime& listener, http::ResponseHead& response) {
  if (!listener.hsts.empty()) response.headers.set("strict-transport-security", listener.hsts);
}

core::Task<bool> StreamHandler::redirect_to_https(std::uint16_t port, bool keep_alive) {
  const http::RequestHead& request = stream_.request;
  const std::optional<std::string> location = https_location(request.host(), port, request.target);
  if (!location) {
    co_return co_await reply(
        {.status = 400, .detail = "a request without a Host cannot be redirected"}, keep_alive);
  }
  const bool safe = request.method == http::Method::kGet || request.method == http::Method::kHead;
  const std::array<http::HeaderField, 1> fields{{{"location", *location}}};
  co_return co_await reply({.status = static_cast<std::uint16_t>(safe ? 301 : 308),
                            .detail = "redirected to HTTPS",
                            .headers = fields},
                           keep_alive);
}

}  // namespace bulwark::proxy
