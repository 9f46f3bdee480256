#pragma once
// The TCP check: it passes when a connection to the endpoint opens. The HTTP check starts with it.

#include <asio/ip/tcp.hpp>
#include <string>

#include "core/io.h"
#include "upstream/health/probe_result.h"

namespace bulwark::upstream::health {

// Connects `socket` (closed) to `address`. The caller bounds the time, by closing the socket.
core::Task<ProbeResult> probe_tcp(core::TcpSocket& socket, asio::ip::tcp::endpoint address);

// An error as the log shows it: "connection refused".
std::string describe(const asio::error_code& ec);

}  // namespace bulwark::upstream::health
