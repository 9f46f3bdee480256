#include "upstream/health/tcp_probe.h"

namespace bulwark::upstream::health {

core::Task<ProbeResult> probe_tcp(core::TcpSocket& socket, asio::ip::tcp::endpoint address) {
  auto [ec] = co_await socket.async_connect(address, core::kAsTuple);
  if (ec) co_return ProbeResult::fail(describe(ec));
  co_return ProbeResult::pass();
}

std::string describe(const asio::error_code& ec) {
  std::string text = ec.message();
  // strerror capitalises its sentences; the log line continues one.
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

}  // namespace bulwark::upstream::health
