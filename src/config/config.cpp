#include "config/config.h"

#include <asio/ip/address.hpp>
#include <thread>

namespace bulwark::config {

unsigned Config::effective_workers() const noexcept {
  if (workers != 0) return workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

bool Admin::needs_token() const {
  if (!listen) return false;
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(listen->host, ec);
  return ec || !address.is_loopback();
}

}  // namespace bulwark::config
