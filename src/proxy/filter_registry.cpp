#include "proxy/filter_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "filters/cache/cache_filter.h"
#include "filters/compression/compression_filter.h"
#include "filters/grpc_web/grpc_web_filter.h"
#include "filters/headers/headers_filter.h"
#include "filters/obfuscation/obfuscation_filter.h"
#include "net/address.h"

namespace bulwark::proxy {
namespace {

filters::HeaderAction action_of(config::HeaderOp op) {
  switch (op) {
    case config::HeaderOp::kAdd:
      return filters::HeaderAction::kAdd;
    case config::HeaderOp::kSet:
      return filters::HeaderAction::kSet;
    case config::HeaderOp::kRemove:
      return filters::HeaderAction::kRemove;
    case config::HeaderOp::kRename:
      break;
  }
  return filters::HeaderAction::kRename;
}

bool compile_rules(const std::vector<config::HeaderRule>& rules,
                   std::vector<filters::HeaderOperation>& out, std::string& error) {
  for (const config::HeaderRule& rule : rules) {
    filters::HeaderOperation& operation = out.emplace_back();
    operation.action = action_of(rule.op);
    operation.name = rule.name;
    if (rule.op == config::HeaderOp::kRename) {
      operation.new_name = rule.value;
    } else if (rule.op != config::HeaderOp::kRemove) {
      auto parsed = http::HeaderTemplate::parse(rule.value);
      if (!parsed) {
        error = fmt::format("header {}: {}", rule.name, parsed.error().message);
        return false;
      }
      operation.value = std::move(*parsed);
    }
  }
  return true;
}

std::unique_ptr<FilterFactory> make_headers_factory(const config::HeaderRules& rules,
                                                    std::string& error) {
  filters::HeaderRuleSet set;
  if (!compile_rules(rules.request, set.request, error) ||
      !compile_rules(rules.response, set.response, error)) {
    return nullptr;
  }
  return std::make_unique<filters::HeadersFilterFactory>(std::move(set));
}

std::unique_ptr<FilterFactory> make_compression_factory(const config::Compression& settings) {
  filters::CompressionPolicy policy{.content_types = settings.content_types,
                                    .min_length = settings.min_length};
  for (const config::CompressionCoding& coding : settings.codings) {
    policy.preference.push_back(coding.coding);
    policy.levels[static_cast<std::size_t>(coding.coding)] = coding.level;
  }
  return std::make_unique<filters::CompressionFilterFactory>(std::move(policy));
}

void add_backend(std::vector<filters::BackendName>& backends, std::string_view host,
                 std::uint16_t port) {
  const bool known = std::ranges::any_of(backends, [&](const filters::BackendName& backend) {
    return backend.port == port && backend.host == host;
  });
  if (!known) backends.push_back({std::string(host), port});
}

// host_rewrite is "name" or "[v6]" (any port matches), or either with ":port".
void add_host_rewrite(std::vector<filters::BackendName>& backends, std::string_view host) {
  net::HostPort address;
  std::string_view no_port;
  if (net::parse_host_port(host, address, no_port)) {
    add_backend(backends, address.host, address.port);
  } else if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    add_backend(backends, host.substr(1, host.size() - 2), 0);
  } else {
    add_backend(backends, host, 0);
  }
}

}  // namespace

std::unique_ptr<FilterFactory> make_filter_factory(const config::FilterSpec& spec,
                                                   const config::Config& config,
                                                   const std::shared_ptr<cache::HttpCache>& cache,
                                                   std::string& error) {
  std::unique_ptr<FilterFactory> factory;
  if (const auto* rules = std::get_if<config::HeaderRules>(&spec.settings)) {
    factory = make_headers_factory(*rules, error);
  } else if (const auto* compression = std::get_if<config::Compression>(&spec.settings)) {
    factory = make_compression_factory(*compression);
  } else if (std::holds_alternative<config::GrpcWebSettings>(spec.settings)) {
    factory = std::make_unique<filters::GrpcWebFilterFactory>(config.limits.buffer_size);
  } else if (const auto* caching = std::get_if<config::CacheSettings>(&spec.settings)) {
    factory = std::make_unique<filters::CacheFilterFactory>(*caching, cache);
  }
  if (!factory) {
    error = fmt::format("filter {}: {}", spec.name.empty() ? spec.type : spec.name,
                        error.empty() ? "unknown filter type" : error);
  }
  return factory;
}

std::unique_ptr<FilterFactory> make_obfuscation_factory(const config::Config& config) {
  const config::Obfuscation& spec = config.obfuscation;
  filters::ObfuscationSettings settings{.strip_headers = spec.strip_headers,
                                        .server = spec.server,
                                        .rewrite_redirects = spec.rewrite_redirects,
                                        .rewrite_cookies = spec.rewrite_cookies,
                                        .backends = {}};
  for (const config::Cluster& cluster : config.clusters) {
    for (const config::Endpoint& endpoint : cluster.endpoints)
      add_backend(settings.backends, endpoint.address.host, endpoint.address.port);
  }
  for (const config::Listener& listener : config.listeners) {
    for (const config::VirtualHost& host : listener.virtual_hosts) {
      for (const config::Route& route : host.routes) {
        const auto* proxy = std::get_if<config::ProxyAction>(&route.action);
        if (proxy != nullptr && !proxy->host_rewrite.empty()) {
          add_host_rewrite(settings.backends, proxy->host_rewrite);
        }
      }
    }
  }
  return std::make_unique<filters::ObfuscationFilterFactory>(std::move(settings));
}

}  // namespace bulwark::proxy
