#pragma once
// Session-ticket keys shared by every worker (and every listener that uses the same rotation),
// so that a ticket one worker issued resumes on any other. A new key is made every rotation
// period; tickets sealed with the previous key are still accepted for one more period (and
// renewed with the current key), older ones are not. Keys live only in memory: a restart starts a
// new ring. The server keeps one ring across reloads.

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>

namespace bulwark::net::tls {

class TicketKeys {
 public:
  using Clock = std::chrono::system_clock;

  // `clock` tells the time when a ticket is sealed or opened, which is when the ring rotates
  // (lazily, once its period has passed); tests give one they move.
  explicit TicketKeys(std::chrono::milliseconds rotation,
                      std::function<Clock::time_point()> clock = Clock::now);
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;
  ~TicketKeys();

  // Makes `context` seal and open its tickets with this ring
  // (SSL_CTX_set_tlsext_ticket_key_evp_cb). The context keeps the keys alive as long as it lives.
  void install(SSL_CTX* context);
  [[nodiscard]] std::chrono::milliseconds rotation() const noexcept;

  struct State;  // ticket_keys.cpp

 private:
  std::shared_ptr<State> state_;  // shared with the contexts it is installed in
};

}  // namespace bulwark::net::tls
