#pragma once
// The admin listener (config `admin: { listen }`): HTTP/1.1 on the main thread's loop, not on the
// workers, so that scraping and operator calls never delay a proxied request and read the
// server's state where it lives. One request per connection (Connection: close): scrapers and
// operators make a request every few seconds, not thousands.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "admin/admin_api.h"
#include "net/address.h"

namespace bulwark::admin {

class AdminListener {
 public:
  // Answers one request; called on the loop's thread.
  using Handler = std::function<AdminReply(const AdminRequest& request)>;

  static std::expected<std::unique_ptr<AdminListener>, std::string> open(
      asio::io_context& loop, const net::HostPort& address, Handler handler);
  AdminListener(const AdminListener&) = delete;
  AdminListener& operator=(const AdminListener&) = delete;
  // Stops accepting; requests in progress finish.
  ~AdminListener();

  [[nodiscard]] asio::ip::tcp::endpoint local_endpoint() const;

  struct Shared;  // what the accept loop and the connections keep alive

 private:
  explicit AdminListener(std::shared_ptr<Shared> shared) noexcept : shared_(std::move(shared)) {}

  std::shared_ptr<Shared> shared_;
};

}  // namespace bulwark::admin
