#include "proxy/upgrade_tunnel.h"

#include <array>
#include <asio/experimental/awaitable_operators.hpp>

#include "proxy/io.h"

namespace bulwark::proxy {
namespace {

struct Shared {
  ConnectionDeadline& deadline;
  core::BufferPool& buffers;
  core::Clock::duration idle;
};

core::Task<bool> pass_on(const BodyPort& to, std::string_view bytes, Shared& shared) {
  const std::array<asio::const_buffer, 1> piece = {asio::buffer(bytes.data(), bytes.size())};
  auto [ec, written] = co_await to.write(piece);
  // Any byte moving, either way, restarts the idle time.
  shared.deadline.wait_for(Waiting::kUpstreamRead, shared.idle);
  co_return !ec;
}

core::Task<void> pump(const TunnelEnd& from, const BodyPort& to, Shared& shared,
                      std::uint64_t& moved) {
  bool open = from.pending.empty() || co_await pass_on(to, from.pending, shared);
  moved += open ? from.pending.size() : 0;
  core::Buffer buffer = shared.buffers.take();
  while (open) {
    auto [ec, received] = co_await from.port.read_some(to_asio(buffer.writable()));
    if (ec || received == 0) break;
    open = co_await pass_on(to, {buffer.writable().data(), received}, shared);
    if (open) moved += received;
  }
  // One way ended: the other stops too (WebSocket closes both ways with its own handshake).
  shared.deadline.cancel_now();
}

}  // namespace

core::Task<UpgradedBytes> run_upgrade_tunnel(TunnelEnd client, TunnelEnd upstream,
                                             ConnectionDeadline& deadline,
                                             core::BufferPool& buffers,
                                             core::Clock::duration idle) {
  using asio::experimental::awaitable_operators::operator&&;
  Shared shared{deadline, buffers, idle};
  UpgradedBytes bytes;
  deadline.wait_for(Waiting::kUpstreamRead, idle);
  co_await (pump(client, upstream.port, shared, bytes.from_client) &&
            pump(upstream, client.port, shared, bytes.from_upstream));
  deadline.clear();
  co_return bytes;
}

}  // namespace bulwark::proxy
