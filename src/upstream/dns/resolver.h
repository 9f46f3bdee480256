#pragma once
// Asynchronous DNS lookups of endpoint names with c-ares, driven by an Asio loop: c-ares says
// which sockets it waits on (its socket-state callback) and the loop waits on them, with one
// timer for c-ares' own timeouts. Single-threaded: call it only from the loop's thread. The
// process runs one on its main loop (never on a worker) for the periodic lookups, and a
// throwaway one on a private loop for the blocking lookups of start and reload.

#include <ares.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "upstream/dns/answer.h"

namespace bulwark::upstream::dns {

class Resolver {
 public:
  using Result = std::expected<Answer, std::string>;
  using Callback = std::function<void(Result)>;

  // Asks `servers` (the system's resolv.conf when empty). nullptr with `error` set when c-ares
  // cannot start.
  static std::unique_ptr<Resolver> make(asio::io_context& loop,
                                        const std::vector<net::HostPort>& servers,
                                        std::string& error);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  // Abandons the lookups in flight: their callbacks are not called.
  ~Resolver();

  // Looks `query` up; `done` runs on the loop with the answer or why there is none.
  void lookup(const Query& query, Callback done);

 private:
  struct Socket;
  struct Lookup;
  struct SrvLookup;

  explicit Resolver(asio::io_context& loop) : loop_(loop), timer_(loop) {}

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_addresses(void* arg, int status, int timeouts, ares_addrinfo* result);
  static void on_srv(void* arg, int status, int timeouts, unsigned char* response, int length);
  void lookup_addresses(const std::string& name, config::DnsSettings::Family family, Callback done,
                        std::uint16_t port);
  void watch(const std::shared_ptr<Socket>& socket);
  void process(ares_socket_t readable, ares_socket_t writable);
  void arm_timer();

  asio::io_context& loop_;
  ares_channel channel_ = nullptr;
  std::map<ares_socket_t, std::shared_ptr<Socket>> sockets_;
  asio::steady_timer timer_;
};

}  // namespace bulwark::upstream::dns
