#pragma once
// Keeps the endpoint names of the running configuration fresh: each name (A/AAAA or SRV) is
// looked up again when its answer expires (its TTL, clamped, or the cluster's fixed period), and
// when an answer brings other addresses the owner is told, so that it builds a snapshot with
// them (server.cpp installs it on every worker the way a reload does). A lookup that fails keeps
// the last good answer and is tried again with a growing delay.
//
// Runs on the process's main loop, never on a worker; single-threaded, like that loop. The first
// answer for a name is looked up blocking, when a configuration is loaded (prepare()), so that a
// name that does not resolve fails the start or the reload as before.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "upstream/dns/answer.h"
#include "upstream/dns/resolver.h"

namespace bulwark::upstream::dns {

class EndpointRefresher {
 public:
  // `changed` runs on `loop` after one or more answers changed.
  EndpointRefresher(asio::io_context& loop, std::function<void()> changed);
  EndpointRefresher(const EndpointRefresher&) = delete;
  EndpointRefresher& operator=(const EndpointRefresher&) = delete;
  ~EndpointRefresher();

  // Looks up now, blocking, every name of `config` that has no answer yet. False with `error`
  // set when one does not resolve.
  bool prepare(const config::Config& config, std::string& error);
  // The latest answers: what snapshots take the addresses of names from.
  [[nodiscard]] const AnswerBook& answers() const noexcept { return answers_; }
  // From now on keeps the names of `config` (which prepare() saw) fresh, and forgets the others.
  void track(const config::Config& config);

 private:
  struct Name {
    config::DnsSettings settings;
    std::vector<net::HostPort> servers;
    std::chrono::steady_clock::time_point due;  // the next lookup
    unsigned failures = 0;                      // in a row
    std::unique_ptr<asio::steady_timer> timer;  // set while tracked
  };

  void arm(const NameKey& key, Name& name);
  void refresh(const NameKey& key);
  void answered(const NameKey& key, Resolver::Result result);
  Resolver* resolver_for(const NameKey& key, const std::vector<net::HostPort>& servers);

  asio::io_context& loop_;
  std::function<void()> changed_;
  bool change_posted_ = false;
  AnswerBook answers_;
  std::map<NameKey, Name> names_;
  // Last: destroyed first, dropping the lookups in flight before the names they report to.
  std::map<std::vector<std::string>, std::unique_ptr<Resolver>> resolvers_;
};

}  // namespace bulwark::upstream::dns
