#include "proxy/h2_output.h"

#include <asio/buffer.hpp>

namespace bulwark::proxy {

core::Task<std::error_code> write_session_output(net::Transport& transport,
                                                 http::h2::detail::SessionCore& session,
                                                 ConnectionDeadline& deadline, Waiting waiting,
                                                 core::Clock::duration timeout) {
  while (session.want_write()) {
    const std::span<const char> out = session.output();
    if (out.empty()) break;
    deadline.wait_for(waiting, timeout);
    auto [ec, written] = co_await transport.write(asio::buffer(out.data(), out.size()));
    deadline.clear();
    if (ec) co_return ec;
    session.output_sent(written);
  }
  co_return std::error_code{};
}

}  // namespace bulwark::proxy
