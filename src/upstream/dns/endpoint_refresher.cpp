#include "upstream/dns/endpoint_refresher.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/log.h"

namespace bulwark::upstream::dns {
namespace {

using SteadyClock = std::chrono::steady_clock;

// "api.internal", "SRV _http._tcp.api.internal": a name as the log shows it.
std::string name_of(const Query& query) {
  return query.srv ? fmt::format("SRV {}", query.name) : query.name;
}

std::string seconds_text(config::Duration duration) {
  return fmt::format("{:g}s", static_cast<double>(duration.count()) / 1000);
}

void log_answer(const NameKey& key, const Answer& answer) {
  BULWARK_LOG_INFO("cluster {}: {} resolved to {}", key.cluster, name_of(key.query),
                   describe(answer));
}

}  // namespace

EndpointRefresher::EndpointRefresher(asio::io_context& loop, std::function<void()> changed)
    : loop_(loop), changed_(std::move(changed)) {}

EndpointRefresher::~EndpointRefresher() = default;

bool EndpointRefresher::prepare(const config::Config& config, std::string& error) {
  // Asked all at once, on a loop of their own, so that a slow resolver costs its timeout once.
  asio::io_context local;
  std::map<std::vector<std::string>, std::unique_ptr<Resolver>> resolvers;
  std::map<NameKey, Resolver::Result> results;
  std::map<NameKey, const config::Cluster*> clusters;
  for (const config::Cluster& cluster : config.clusters) {
    for (const config::Endpoint& endpoint : cluster.endpoints) {
      std::optional<NameKey> key = key_of(cluster, endpoint);
      if (!key || answers_.find(*key) != nullptr || clusters.contains(*key)) continue;
      std::unique_ptr<Resolver>& resolver = resolvers[key->resolvers];
      if (!resolver) resolver = Resolver::make(local, cluster.dns.resolvers, error);
      if (!resolver) {
        error = fmt::format("cluster '{}': {}", cluster.name, error);
        return false;
      }
      clusters.emplace(*key, &cluster);
      resolver->lookup(key->query, [&results, key = *key](Resolver::Result result) {
        results.insert_or_assign(key, std::move(result));
      });
    }
  }
  local.run();
  for (const auto& [key, result] : results) {
    if (!result) {
      error = fmt::format("cluster '{}': cannot resolve '{}': {}", key.cluster, name_of(key.query),
                          result.error());
      return false;
    }
  }
  const auto now = SteadyClock::now();
  for (auto& [key, result] : results) {
    log_answer(key, *result);
    const config::Cluster& cluster = *clusters.at(key);
    Name& name = names_[key];
    name.settings = cluster.dns;
    name.servers = cluster.dns.resolvers;
    name.due = now + next_lookup(cluster.dns, result->ttl);
    name.failures = 0;
    answers_.set(key, std::move(*result));
  }
  return true;
}

void EndpointRefresher::track(const config::Config& config) {
  std::map<NameKey, const config::Cluster*> used;
  for (const config::Cluster& cluster : config.clusters) {
    for (const config::Endpoint& endpoint : cluster.endpoints) {
      if (std::optional<NameKey> key = key_of(cluster, endpoint)) used.emplace(*key, &cluster);
    }
  }
  for (auto it = names_.begin(); it != names_.end();) {
    const auto found = used.find(it->first);
    if (found == used.end()) {
      answers_.erase(it->first);
      it = names_.erase(it);
      continue;
    }
    // A reload may change how often the cluster looks again; the next lookup uses it.
    it->second.settings = found->second->dns;
    if (!it->second.timer) arm(it->first, it->second);
    ++it;
  }
  std::erase_if(resolvers_, [&](const auto& entry) {
    return std::ranges::none_of(used,
                                [&](const auto& u) { return u.first.resolvers == entry.first; });
  });
}

void EndpointRefresher::arm(const NameKey& key, Name& name) {
  if (!name.timer) name.timer = std::make_unique<asio::steady_timer>(loop_);
  name.timer->expires_at(name.due);
  name.timer->async_wait([this, key](const asio::error_code& ec) {
    if (!ec) refresh(key);
  });
}

Resolver* EndpointRefresher::resolver_for(const NameKey& key,
                                          const std::vector<net::HostPort>& servers) {
  std::unique_ptr<Resolver>& resolver = resolvers_[key.resolvers];
  if (!resolver) {
    std::string error;
    resolver = Resolver::make(loop_, servers, error);
    if (!resolver) BULWARK_LOG_ERROR("cluster {}: {}", key.cluster, error);
  }
  return resolver.get();
}

void EndpointRefresher::refresh(const NameKey& key) {
  const auto found = names_.find(key);
  if (found == names_.end()) return;
  Resolver* resolver = resolver_for(key, found->second.servers);
  if (resolver == nullptr) {
    answered(key, std::unexpected(std::string("no resolver")));
    return;
  }
  // May answer at once (a hosts-file name): nothing of this entry is touched afterwards.
  resolver->lookup(key.query,
                   [this, key](Resolver::Result result) { answered(key, std::move(result)); });
}

void EndpointRefresher::answered(const NameKey& key, Resolver::Result result) {
  const auto found = names_.find(key);
  if (found == names_.end()) return;  // no longer in the configuration
  Name& name = found->second;
  const auto now = SteadyClock::now();
  if (!result) {
    ++name.failures;
    const config::Duration retry = retry_after(name.settings, name.failures);
    const Answer* last = answers_.find(key);
    BULWARK_LOG_WARN("cluster {}: cannot resolve {}: {}; keeping {}; trying again in {}",
                     key.cluster, name_of(key.query), result.error(),
                     last != nullptr ? describe(*last) : "nothing", seconds_text(retry));
    name.due = now + retry;
    arm(key, name);
    return;
  }
  name.failures = 0;
  name.due = now + next_lookup(name.settings, result->ttl);
  arm(key, name);
  const Answer* last = answers_.find(key);
  const bool same = last != nullptr && last->targets == result->targets;
  answers_.set(key, std::move(*result));
  if (same) return;
  log_answer(key, *answers_.find(key));
  if (change_posted_) return;
  // Names that change together make one new snapshot.
  change_posted_ = true;
  asio::post(loop_, [this] {
    change_posted_ = false;
    changed_();
  });
}

}  // namespace bulwark::upstream::dns
