#pragma once
// The writer both sides of HTTP/2 share (client connections, connections to backends): sends
// what the codec has ready until it has nothing more.

#include <system_error>

#include "core/io.h"
#include "http/h2/session_core.h"
#include "net/tls/transport.h"
#include "proxy/connection_deadline.h"

namespace bulwark::proxy {

// Each write is bounded by `deadline` (waiting for `waiting`, up to `timeout`). Returns the error
// of the write that failed: the peer is gone or takes nothing.
core::Task<std::error_code> write_session_output(net::Transport& transport,
                                                 http::h2::detail::SessionCore& session,
                                                 ConnectionDeadline& deadline, Waiting waiting,
                                                 core::Clock::duration timeout);

}  // namespace bulwark::proxy
