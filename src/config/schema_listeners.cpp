// listeners: addresses to accept on, each with its virtual hosts and their routes.

#include <fmt/format.h>

#include <array>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

// Where each domain of a listener is served, to refuse a second virtual host claiming it.
struct DomainOwner {
  std::string domain;
  SourceMark mark;
};

// "*", "*.example.com", or a host name (letters, digits, '-', '.'); each may end in ":PORT"
// (1-65535, no leading zero, so that one port has one spelling for the duplicate check).
bool is_domain_pattern(std::string_view domain) {
  if (const std::size_t colon = domain.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = domain.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.front() == '0' ||
        port.find_first_not_of("0123456789") != std::string_view::npos ||
        (port.size() == 5 && port > "65535")) {
      return false;
    }
    domain = domain.substr(0, colon);
  }
  if (domain == "*") return true;
  if (domain.starts_with("*.")) domain.remove_prefix(2);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.') return false;
  for (const char c : domain) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return domain.find("..") == std::string_view::npos;
}

void read_domains(YamlReader& reader, const Value& value, VirtualHost& host,
                  std::vector<DomainOwner>& owners) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(value.mark, "domains: a virtual host needs at least one domain",
                 "write domains: [\"*\"] to match every host");
    return;
  }
  for (const Value& item : *items) {
    std::optional<std::string> text = reader.string(item);
    if (!text) continue;
    // Host names compare case-insensitively; the router matches the lowercased Host header.
    std::string domain = to_lower(*text);
    if (!is_domain_pattern(domain)) {
      reader.error(item.mark, fmt::format("{}: '{}' is not a domain", item.what, *text),
                   "write a host name (example.com), a wildcard (*.example.com) or * for any "
                   "host, optionally with :PORT; no scheme");
      continue;
    }
    bool duplicate = false;
    for (const DomainOwner& owner : owners) {
      if (owner.domain != domain) continue;
      reader.error(item.mark,
                   fmt::format("{}: domain '{}' is listed twice on this listener (first at line "
                               "{}, column {})",
                               item.what, domain, owner.mark.line, owner.mark.column),
                   "each domain belongs to one virtual host per listener");
      duplicate = true;
      break;
    }
    if (duplicate) continue;
    owners.push_back(DomainOwner{domain, item.mark});
    host.domains.push_back(std::move(domain));
  }
}

void read_virtual_host(YamlReader& reader, const Value& value, const Config& config,
                       Listener& listener, std::vector<DomainOwner>& owners) {
  static constexpr std::array<std::string_view, 3> kKeys{"domains", "filters", "routes"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  VirtualHost host;
  host.mark = value.mark;
  if (std::optional<Value> domains = reader.require(*map, "domains")) {
    read_domains(reader, *domains, host, owners);
  }
  if (std::optional<Value> filters = map->get("filters")) {
    read_filter_list(reader, *filters, config, host.filters);
  }
  if (std::optional<Value> routes = reader.require(*map, "routes")) {
    if (std::optional<std::vector<Value>> items = reader.list(*routes)) {
      if (items->empty()) {
        reader.error(routes->mark, "routes: a virtual host needs at least one route");
      }
      for (const Value& item : *items) {
        Route route;
        if (read_route(reader, item, config, listener, route)) {
          host.routes.push_back(std::move(route));
        }
      }
    }
  }
  check_shadowed_routes(reader, host);
  listener.virtual_hosts.push_back(std::move(host));
}

// Two sockets on the same port where one address includes the other: the second bind fails, or
// with SO_REUSEPORT silently shares the traffic.
bool same_socket(const net::HostPort& a, const net::HostPort& b) {
  if (a.port != b.port) return false;
  const std::string host_a = to_lower(a.host);
  const std::string host_b = to_lower(b.host);
  if (host_a == host_b) return true;
  const bool v6_a = host_a.find(':') != std::string::npos;
  const bool v6_b = host_b.find(':') != std::string::npos;
  if (v6_a != v6_b) return false;
  const std::string_view any = v6_a ? "::" : "0.0.0.0";
  return host_a == any || host_b == any;
}

void read_listener(YamlReader& reader, const Value& value, Config& config) {
  static constexpr std::array<std::string_view, 9> kKeys{
      "name",   "listen",         "tls",  "redirect_to_https", "virtual_hosts", "protocol",
      "layer4", "proxy_protocol", "http2"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return;
  Listener listener;
  listener.mark = value.mark;
  if (std::optional<Value> name = reader.require(*map, "name")) {
    if (std::optional<std::string> text = read_name(reader, *name)) {
      for (const Listener& other : config.listeners) {
        if (other.name == *text) {
          reader.error(name->mark,
                       fmt::format("name: duplicate listener name '{}' (first at {})", *text,
                                   line_of(other.mark, name->mark)),
                       "listener names must be unique");
        }
      }
      listener.name = *text;
    }
  }
  bool listen_ok = false;
  if (std::optional<Value> listen = reader.require(*map, "listen")) {
    if (std::optional<net::HostPort> address = read_host_port(reader, *listen)) {
      listen_ok = true;
      for (const Listener& other : config.listeners) {
        if (other.listen.port == 0 || !same_socket(other.listen, *address)) continue;
        const std::string mine = address->to_string();
        const std::string theirs = other.listen.to_string();
        reader.error(listen->mark,
                     mine == theirs
                         ? fmt::format("listen: {} is already used by listener '{}' ({})", mine,
                                       other.name, line_of(other.mark, listen->mark))
                         : fmt::format("listen: {} overlaps {} of listener '{}' ({})", mine, theirs,
                                       other.name, line_of(other.mark, listen->mark)),
                     "each listener needs its own address and port");
        listen_ok = false;
        break;
      }
      listener.listen = std::move(*address);
    }
  }
  // An address that failed to parse must not be compared against later listeners.
  if (!listen_ok) listener.listen.port = 0;
  // Before the virtual hosts: their routes are checked against it.
  if (std::optional<Value> tls = map->get("tls")) listener.tls = read_listener_tls(reader, *tls);
  read_listener_http2(reader, *map, listener);
  const bool layer4 = read_listener_protocol(reader, *map, config, listener);
  if (layer4) {
    // Neither virtual hosts nor a redirect (read_listener_protocol reported them).
  } else if (std::optional<Value> redirect = map->get("redirect_to_https")) {
    listener.redirect_to_https = read_redirect_to_https(reader, *redirect, map->has("tls"));
    if (std::optional<Value> hosts = map->get("virtual_hosts")) {
      reader.error(hosts->mark, "virtual_hosts: a listener with redirect_to_https routes nothing",
                   "remove them, or remove redirect_to_https");
    }
  } else if (std::optional<Value> hosts = reader.require(*map, "virtual_hosts")) {
    if (std::optional<std::vector<Value>> items = reader.list(*hosts)) {
      if (items->empty()) {
        reader.error(hosts->mark, "virtual_hosts: a listener needs at least one virtual host");
      }
      std::vector<DomainOwner> owners;
      for (const Value& item : *items)
        read_virtual_host(reader, item, config, listener, owners);
    }
  }
  config.listeners.push_back(std::move(listener));
}

}  // namespace

void read_listeners(YamlReader& reader, const Value& value, Config& config) {
  std::optional<std::vector<Value>> items = reader.list(value);
  if (!items) return;
  if (items->empty()) {
    reader.error(
        value.mark, "listeners: at least one listener is required",
        "e.g. listeners: [ { name: public, listen: 127.0.0.1:8080, virtual_hosts: ... } ]");
    return;
  }
  for (const Value& item : *items)
    read_listener(reader, item, config);
}

}  // namespace bulwark::config::schema
