#include "proxy/background_refresh.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "proxy/stream_handler.h"
#include "proxy/upstream_leg.h"
#include "proxy/worker_context.h"

namespace bulwark::proxy {
namespace {

// The client of a background refresh: nobody. Its "connection" takes every byte at once.
class BackgroundClient final : public ClientSide, public StreamPipe {
 public:
  BackgroundClient(WorkerContext& worker, SnapshotPtr snapshot, const ListenerRuntime& listener,
                   ClientPeer peer, bool secure)
      : ClientSide(worker),
        snapshot_(std::move(snapshot)),
        listener_(listener),
        peer_(std::move(peer)),
        secure_(secure),
        deadline_(worker.timeouts, static_cast<StreamPipe&>(*this)) {}

  // ClientSide
  [[nodiscard]] ConnectionDeadline& deadline() noexcept override { return deadline_; }
  [[nodiscard]] const ProxySnapshot& snapshot() const noexcept override { return *snapshot_; }
  [[nodiscard]] const ListenerRuntime& listener() const noexcept override { return listener_; }
  [[nodiscard]] const ClientPeer& peer() const noexcept override { return peer_; }
  [[nodiscard]] bool secure() const noexcept override { return secure_; }
  [[nodiscard]] bool multiplexed() const noexcept override { return true; }
  [[nodiscard]] bool closing() const noexcept override { return false; }
  [[nodiscard]] bool gone() const noexcept override { return false; }
  void start_request_body(Stream& stream) override {
    stream.request_body.start(http::BodyFraming::kNone, 0);
  }
  [[nodiscard]] RequestBodySource request_body_source() override {
    return {.port = {.pipe = this}, .buffer = body_buffer_, .floor = 0};
  }
  void set_unread_input(bool /*unread*/) noexcept override {}
  core::Task<bool> send_continue() override { co_return true; }
  bool begin_response(http::ResponseHead& /*head*/) override { return true; }
  core::Task<bool> send_body(std::span<const asio::const_buffer> /*body*/,
                             bool /*end_stream*/) override {
    co_return true;
  }
  core::Task<net::SendFileResult> send_file(std::span<const asio::const_buffer> /*prefix*/,
                                            int /*fd*/, std::uint64_t /*offset*/,
                                            std::uint64_t length) override {
    co_return net::SendFileResult{.sent = length};
  }
  core::Task<bool> send_interim(http::ResponseHead& /*head*/) override { co_return true; }
  core::Task<RelayResult> relay_response(ResponseRelay& relay) override {
    relay.keep_alive = false;
    if (relay.head.framing == http::BodyFraming::kNone) co_return RelayResult{};
    co_return co_await relay_body({
        .source = relay.source,
        .buffer = relay.buffer,
        .floor = relay.buffer.offset(),
        .sink = {.pipe = this},
        .decoder = relay.decoder,
        .sink_framing = SinkFraming::kAsIs,
        .deadline = deadline_,
        .read_wait = Waiting::kUpstreamRead,
        .read_timeout = relay.read_timeout,
        .write_wait = Waiting::kClientWrite,
        .write_timeout = snapshot_->config->timeouts.send,
        .tap = relay.tap,
        .framed_source = relay.framed_source,
        .source_trailers = relay.source_trailers,
        .trailers = relay.trailers,
    });
  }

  // StreamPipe: no request body; the response body goes nowhere.
  core::Task<net::IoResult> read_some(asio::mutable_buffer /*buffer*/) override {
    co_return net::IoResult{asio::error::eof, 0};
  }
  core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) override {
    std::size_t size = 0;
    for (const asio::const_buffer& piece : pieces)
      size += piece.size();
    co_return net::IoResult{std::error_code{}, size};
  }
  void cancel() noexcept override {}

 private:
  const SnapshotPtr snapshot_;
  const ListenerRuntime& listener_;
  const ClientPeer peer_;
  const bool secure_;
  ConnectionDeadline deadline_;
  core::Buffer body_buffer_;
};

// A deep copy: the original's views point into its connection's buffer and its stream's arena.
void copy_request(const http::RequestHead& from, Stream& to) {
  core::Arena& arena = to.arena();
  http::RequestHead& request = to.request;
  request.method_token = arena.copy(from.method_token);
  request.method = from.method;
  request.target = arena.copy(from.target);
  request.target_form = from.target_form;
  request.scheme = arena.copy(from.scheme);
  request.authority = arena.copy(from.authority);
  request.path = arena.copy(from.path);
  request.version_minor = 1;
  request.framing = http::BodyFraming::kNone;
  request.keep_alive = true;
  for (const http::HeaderField& field : from.headers)
    request.headers.add(arena.copy(field.name), arena.copy(field.value));
}

core::Task<void> refresh(std::unique_ptr<BackgroundClient> client, std::unique_ptr<Stream> stream,
                         const config::ProxyAction& action, const config::Route& route,
                         const RouteRuntime& runtime) {
  WorkerContext& worker = client->worker();
  Stream& refreshing = *stream;
  start_stream_info(*client, refreshing);
  refreshing.info().background = true;
  refreshing.chain.build(runtime.filters, refreshing.arena());
  client->start_request_body(refreshing);
  // Only the filters' own asynchronous work pauses a chain; a refresh does not wait for it.
  if (refreshing.chain.request_headers(refreshing.request, true, refreshing) ==
      Verdict::kContinue) {
    apply_route_rewrites(*client, refreshing, action, route.match, runtime);
    // As StreamHandler does: the leg lives in the arena, its destructor run by hand.
    UpstreamLeg* leg = refreshing.arena().make<UpstreamLeg>(
        *client, refreshing, client->snapshot().clusters[action.cluster_index], action);
    co_await leg->run();
    std::destroy_at(leg);
  }
  finish_stream(worker, std::move(stream));
}

}  // namespace

void start_background_refresh(ClientSide& client, const http::RequestHead& request,
                              const config::ProxyAction& action, const config::Route& route,
                              const RouteRuntime& runtime) {
  WorkerContext& worker = client.worker();
  if (worker.snapshot().get() != &client.snapshot()) return;
  auto background = std::make_unique<BackgroundClient>(worker, worker.snapshot(), client.listener(),
                                                       client.peer(), client.secure());
  std::unique_ptr<Stream> stream = worker.take_stream();
  stream->prepare(worker.snapshot()->parser_limits);
  copy_request(request, *stream);
  // Started from the event loop, not from inside the stream that asked for it.
  asio::post(worker.io, [background = std::move(background), stream = std::move(stream), &action,
                         &route, &runtime, &worker]() mutable {
    asio::co_spawn(worker.io.get_executor(),
                   refresh(std::move(background), std::move(stream), action, route, runtime),
                   asio::detached);
  });
}

}  // namespace bulwark::proxy
