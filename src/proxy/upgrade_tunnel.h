#pragma once
// The bytes of an upgraded exchange (WebSocket), both ways, once the backend switched protocols:
// between the client (an HTTP/1.1 connection, or an HTTP/2 stream opened by extended CONNECT)
// and the upstream connection. Each direction writes what it read before it reads again
// (backpressure); when either ends or fails, or no byte moved for `idle`, both stop.

#include <cstdint>
#include <string_view>

#include "core/buffer.h"
#include "core/io.h"
#include "proxy/connection_deadline.h"
#include "proxy/stream_pipe.h"

namespace bulwark::proxy {

struct TunnelEnd {
  BodyPort port;
  std::string_view pending;  // bytes already received from this end, passed on first
};

struct UpgradedBytes {
  std::uint64_t from_client = 0;
  std::uint64_t from_upstream = 0;
};

// `deadline` is the client side's, with the upstream socket set (set_upstream).
core::Task<UpgradedBytes> run_upgrade_tunnel(TunnelEnd client, TunnelEnd upstream,
                                             ConnectionDeadline& deadline,
                                             core::BufferPool& buffers, core::Clock::duration idle);

}  // namespace bulwark::proxy
