#include "admin/admin_listener.h"

#include <fmt/format.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/write.hpp>

#include "admin/accept_loop.h"
#include "core/io.h"
#include "http/h1/request_parser.h"
#include "http/status.h"
#include "net/listener.h"

namespace bulwark::admin {

struct AdminListener::Shared {
  Shared(asio::io_context& loop, Handler run) : acceptor(loop), handler(std::move(run)) {}
  core::TcpAcceptor acceptor;
  Handler handler;
};

namespace {

// A client that sends nothing useful in this long loses the connection.
constexpr std::chrono::seconds kRequestTimeout{10};
constexpr http::h1::ParserLimits kLimits{
    .max_request_line = 4096, .max_header_bytes = std::size_t{16} * 1024, .max_header_count = 64};
// The API's requests carry no body; a small one is read and ignored, so that closing the
// connection with unread bytes does not reset it before the client reads the answer.
constexpr std::uint64_t kMaxBody = std::uint64_t{64} * 1024;

std::string serialize(const AdminReply& reply) {
  std::string text = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "Connection: close\r\n",
      reply.status, http::reason_phrase(reply.status), reply.content_type, reply.body.size());
  if (!reply.allow.empty()) text += fmt::format("Allow: {}\r\n", reply.allow);
  if (reply.status == 401) text += "WWW-Authenticate: Bearer realm=\"bulwark admin\"\r\n";
  text += "\r\n";
  text += reply.body;
  return text;
}

// Reads a request and answers it; nullopt-free: every path ends in a reply or a closed socket.
core::Task<AdminReply> read_and_answer(core::TcpSocket& socket, const AdminListener::Handler& run) {
  std::string input;
  std::array<char, 4096> chunk{};
  http::h1::RequestParser parser(kLimits);
  http::RequestHead head;
  std::size_t head_size = 0;
  while (head_size == 0) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), core::kAsTuple);
    if (ec) co_return AdminReply{.status = 0};
    input.append(chunk.data(), n);
    auto parsed = parser.parse(input, head);
    if (!parsed) {
      co_return admin_error(static_cast<std::uint16_t>(parsed.error().http_status()),
                            parsed.error().detail);
    }
    head_size = *parsed;
  }
  if (head.framing == http::BodyFraming::kChunked) {
    co_return admin_error(411, "a request body needs a Content-Length");
  }
  if (head.content_length > kMaxBody) co_return admin_error(413, "the request body is too large");
  while (input.size() - head_size < head.content_length) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), core::kAsTuple);
    if (ec) co_return AdminReply{.status = 0};
    input.append(chunk.data(), n);
  }
  co_return run({.method = head.method_token,
                 .target = head.path,
                 .authorization = head.headers.get("authorization")});
}

core::Task<void> serve(core::TcpSocket socket, std::shared_ptr<AdminListener::Shared> shared) {
  core::SteadyTimer deadline(socket.get_executor(), kRequestTimeout);
  deadline.async_wait([&socket](const asio::error_code& ec) {
    if (!ec) socket.close();
  });
  const AdminReply reply = co_await read_and_answer(socket, shared->handler);
  if (reply.status != 0) {
    const std::string response = serialize(reply);
    co_await asio::async_write(socket, asio::buffer(response), core::kAsTuple);
  }
  deadline.cancel();
  asio::error_code ignored;
  socket.shutdown(asio::socket_base::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

std::expected<std::unique_ptr<AdminListener>, std::string> AdminListener::open(
    asio::io_context& loop, const net::HostPort& address, Handler handler) {
  asio::ip::tcp::endpoint endpoint;
  std::string error;
  auto shared = std::make_shared<Shared>(loop, std::move(handler));
  if (!net::resolve(address, endpoint, error) ||
      !net::open_listener(shared->acceptor, endpoint, error)) {
    return std::unexpected(fmt::format("admin listener on {}: {}", address.to_string(), error));
  }
  asio::co_spawn(loop, accept_connections(shared, "admin listener", serve), asio::detached);
  return std::unique_ptr<AdminListener>(new AdminListener(std::move(shared)));
}

AdminListener::~AdminListener() {
  asio::error_code ignored;
  shared_->acceptor.close(ignored);
}

asio::ip::tcp::endpoint AdminListener::local_endpoint() const {
  asio::error_code ignored;
  return shared_->acceptor.local_endpoint(ignored);
}

}  // namespace bulwark::admin
