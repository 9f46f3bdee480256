#include "upstream/dns/resolver.h"

#include <arpa/nameser.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>

namespace bulwark::upstream::dns {
namespace {

// Per try and server; a lookup that no server answers fails within a few seconds, and the
// refresher keeps the last good answer meanwhile.
constexpr int kTimeoutMs = 1000;
constexpr int kTries = 3;

std::chrono::seconds seconds_of(int ttl) {
  return std::chrono::seconds(std::max(ttl, 0));
}

}  // namespace

struct Resolver::Socket {
  Socket(asio::io_context& loop, ares_socket_t socket_fd) : fd(socket_fd), descriptor(loop) {
    asio::error_code ignored;
    descriptor.assign(fd, ignored);
  }

  ares_socket_t fd;
  asio::posix::stream_descriptor descriptor;  // c-ares owns (and closes) the descriptor
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

// One A/AAAA lookup in flight: c-ares holds it until its callback, which deletes it.
struct Resolver::Lookup {
  std::uint16_t port;
  config::DnsSettings::Family family;
  Callback done;
};

// An SRV lookup: the SRV query, then one address lookup per target of the lowest priority.
struct Resolver::SrvLookup {
  Resolver* resolver;
  config::DnsSettings::Family family;
  Callback done;
  std::vector<Target> targets;
  std::chrono::seconds ttl{0};
  std::size_t pending = 0;
  std::string last_error;
};

std::unique_ptr<Resolver> Resolver::make(asio::io_context& loop,
                                         const std::vector<net::HostPort>& servers,
                                         std::string& error) {
  static std::once_flag initialised;
  std::call_once(initialised, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  std::unique_ptr<Resolver> resolver(new Resolver(loop));
  ares_options options{};
  options.sock_state_cb = &Resolver::on_socket_state;
  options.sock_state_cb_data = resolver.get();
  options.timeout = kTimeoutMs;
  options.tries = kTries;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (const int status = ares_init_options(&resolver->channel_, &options, mask);
      status != ARES_SUCCESS) {
    error = fmt::format("cannot start the DNS resolver: {}", ares_strerror(status));
    return nullptr;
  }
  if (!servers.empty()) {
    std::string csv;
    for (const net::HostPort& server : servers)
      csv += (csv.empty() ? "" : ",") + server.to_string();
    if (const int status = ares_set_servers_ports_csv(resolver->channel_, csv.c_str());
        status != ARES_SUCCESS) {
      error = fmt::format("cannot use resolvers {}: {}", csv, ares_strerror(status));
      return nullptr;
    }
  }
  return resolver;
}

Resolver::~Resolver() {
  if (channel_ != nullptr) ares_destroy(channel_);  // the callbacks see ARES_EDESTRUCTION
  for (auto& [fd, socket] : sockets_) {
    socket->closed = true;
    socket->descriptor.release();
  }
}

void Resolver::lookup(const Query& query, Callback done) {
  if (query.srv) {
    auto* lookup = new SrvLookup{this, query.family, std::move(done), {}, {}, 0, {}};
    ares_search(channel_, query.name.c_str(), ns_c_in, ns_t_srv, &Resolver::on_srv, lookup);
  } else {
    lookup_addresses(query.name, query.family, std::move(done), query.port);
  }
  arm_timer();
}

void Resolver::lookup_addresses(const std::string& name, config::DnsSettings::Family family,
                                Callback done, std::uint16_t port) {
  ares_addrinfo_hints hints{};
  hints.ai_flags = ARES_AI_NOSORT;  // sorted by address afterwards; no probing connects
  hints.ai_family = family == config::DnsSettings::Family::kIpv4   ? AF_INET
                    : family == config::DnsSettings::Family::kIpv6 ? AF_INET6
                                                                   : AF_UNSPEC;
  auto* lookup = new Lookup{port, family, std::move(done)};
  ares_getaddrinfo(channel_, name.c_str(), nullptr, &hints, &Resolver::on_addresses, lookup);
}

void Resolver::on_addresses(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Lookup> lookup(static_cast<Lookup*>(arg));
  std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> owned(result, &ares_freeaddrinfo);
  if (status == ARES_EDESTRUCTION) return;
  if (status != ARES_SUCCESS || result == nullptr) {
    lookup->done(std::unexpected(std::string(ares_strerror(status))));
    return;
  }
  std::vector<asio::ip::address> addresses;
  int ttl = std::numeric_limits<int>::max();
  for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
    if (node->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      addresses.emplace_back(asio::ip::address_v4(bytes));
    } else if (node->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      addresses.emplace_back(asio::ip::address_v6(bytes, in6->sin6_scope_id));
    } else {
      continue;
    }
    ttl = std::min(ttl, node->ai_ttl);
  }
  // An alias expires with its own record too.
  for (const ares_addrinfo_cname* alias = result->cnames; alias != nullptr; alias = alias->next)
    ttl = std::min(ttl, alias->ttl);
  Answer answer;
  for (const asio::ip::address& address : choose_family(addresses, lookup->family))
    answer.targets.push_back({asio::ip::tcp::endpoint(address, lookup->port), 1});
  if (answer.targets.empty()) {
    lookup->done(std::unexpected(std::string("no address of the wanted family")));
    return;
  }
  normalize(answer.targets);
  answer.ttl = seconds_of(ttl);
  lookup->done(std::move(answer));
}

void Resolver::on_srv(void* arg, int status, int /*timeouts*/, unsigned char* response,
                      int length) {
  auto* raw = static_cast<SrvLookup*>(arg);
  if (status == ARES_EDESTRUCTION) {
    delete raw;  // c-ares held it; nobody else will
    return;
  }
  std::shared_ptr<SrvLookup> lookup(raw);
  if (status != ARES_SUCCESS) {
    lookup->done(std::unexpected(std::string(ares_strerror(status))));
    return;
  }
  ares_srv_reply* replies = nullptr;
  if (const int parsed = ares_parse_srv_reply(response, length, &replies); parsed != ARES_SUCCESS) {
    lookup->done(std::unexpected(std::string(ares_strerror(parsed))));
    return;
  }
  std::vector<SrvRecord> records;
  for (const ares_srv_reply* reply = replies; reply != nullptr; reply = reply->next)
    records.push_back({reply->host, reply->port, reply->priority, reply->weight});
  ares_free_data(replies);
  records = lowest_priority(records);
  if (records.empty()) {
    lookup->done(std::unexpected(std::string("no SRV record")));
    return;
  }
  const std::span<const unsigned char> bytes(response, static_cast<std::size_t>(length));
  lookup->ttl = std::chrono::seconds(shortest_answer_ttl(bytes).value_or(0));
  const std::vector<std::uint32_t> weights = endpoint_weights(records);
  lookup->pending = records.size();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::uint32_t weight = weights[i];
    const std::string target = records[i].target;
    lookup->resolver->lookup_addresses(
        target, lookup->family,
        [lookup, weight, target](Result result) {
          if (result) {
            for (const Target& found : result->targets)
              lookup->targets.push_back({found.address, weight});
            lookup->ttl = std::min(lookup->ttl, result->ttl);
          } else {
            lookup->last_error = fmt::format("target {}: {}", target, result.error());
          }
          if (--lookup->pending != 0) return;
          // A target that does not resolve is left out; only none at all is a failure.
          if (lookup->targets.empty()) {
            lookup->done(std::unexpected(lookup->last_error));
            return;
          }
          normalize(lookup->targets);
          lookup->done(Answer{std::move(lookup->targets), lookup->ttl});
        },
        records[i].port);
  }
}

void Resolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  const auto found = self->sockets_.find(fd);
  if (readable == 0 && writable == 0) {  // c-ares closes it next
    if (found != self->sockets_.end()) {
      found->second->closed = true;
      found->second->descriptor.release();
      self->sockets_.erase(found);
    }
    return;
  }
  std::shared_ptr<Socket> socket;
  if (found == self->sockets_.end()) {
    socket = std::make_shared<Socket>(self->loop_, fd);
    self->sockets_.emplace(fd, socket);
  } else {
    socket = found->second;
  }
  socket->want_read = readable != 0;
  socket->want_write = writable != 0;
  self->watch(socket);
}

void Resolver::watch(const std::shared_ptr<Socket>& socket) {
  if (socket->want_read && !socket->reading) {
    socket->reading = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                  [this, socket](const asio::error_code& ec) {
                                    socket->reading = false;
                                    if (ec || socket->closed) return;
                                    process(socket->fd, ARES_SOCKET_BAD);
                                    if (!socket->closed) watch(socket);
                                  });
  }
  if (socket->want_write && !socket->writing) {
    socket->writing = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                                  [this, socket](const asio::error_code& ec) {
                                    socket->writing = false;
                                    if (ec || socket->closed) return;
                                    process(ARES_SOCKET_BAD, socket->fd);
                                    if (!socket->closed) watch(socket);
                                  });
  }
}

void Resolver::process(ares_socket_t readable, ares_socket_t writable) {
  ares_process_fd(channel_, readable, writable);
  arm_timer();
}

void Resolver::arm_timer() {
  timeval wait{};
  if (ares_timeout(channel_, nullptr, &wait) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(wait.tv_sec) + std::chrono::microseconds(wait.tv_usec));
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

}  // namespace bulwark::upstream::dns
