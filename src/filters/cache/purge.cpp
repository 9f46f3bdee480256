// PURGE requests (CacheFilter::purge), accepted only from the configured networks, for the
// request's host:
//   PURGE /path?query          the stored responses of that URL (every Vary variant)
//   PURGE /prefix/*            every URL that starts with /prefix/ (a ban)
//   PURGE / + Purge-Regex: RE  every URL whose path (with query) RE matches, anywhere (RE2)
//   PURGE / + Surrogate-Key (or Cache-Tag): t1 t2
//                              every response that named one of these tags in its own
//                              Surrogate-Key or Cache-Tag field
// The answer is 200 with the number of responses removed, as JSON.

#include <re2/re2.h>

#include <algorithm>
#include <string>

#include "cache/cache_key.h"
#include "filters/cache/cache_filter.h"

namespace bulwark::filters {
namespace {

using proxy::Verdict;

// Whether the tag list `list` (separated by spaces or commas) contains `tag`.
bool lists_tag(std::string_view list, std::string_view tag) {
  while (!list.empty()) {
    const std::size_t end = list.find_first_of(" ,");
    if (list.substr(0, end) == tag) return true;
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return false;
}

bool tagged(const cache::StoredObject& object, std::string_view tag) {
  for (const http::HeaderField& field : object.headers()) {
    if ((http::iequals(field.name, "surrogate-key") || http::iequals(field.name, "cache-tag")) &&
        lists_tag(field.value, tag)) {
      return true;
    }
  }
  return false;
}

std::string_view requested_tags(const http::HeaderMap& headers) {
  const std::string_view surrogate = headers.get("surrogate-key");
  return surrogate.empty() ? headers.get("cache-tag") : surrogate;
}

}  // namespace

Verdict CacheFilter::purge(const http::RequestHead& head, proxy::Context& ctx) {
  const asio::ip::address& client = ctx.info().client_address;
  const bool allowed = std::ranges::any_of(
      settings_.purge_from, [&](const net::Cidr& network) { return network.contains(client); });
  if (!allowed) return ctx.respond({.status = 403, .detail = "PURGE is not allowed from here"});

  const std::string_view scheme = ctx.info().scheme;
  const std::string host_prefix = cache::key_prefix(scheme, head.host(), "");
  const auto same_host = [&](std::string_view key) { return key.starts_with(host_prefix); };
  std::size_t purged = 0;
  if (const std::string_view tags = requested_tags(head.headers); !tags.empty()) {
    purged = cache_.ban_if([&](std::string_view key, const cache::StoredObject& object) {
      if (!same_host(key)) return false;
      std::string_view rest = tags;
      while (!rest.empty()) {
        const std::size_t end = rest.find_first_of(" ,");
        const std::string_view tag = rest.substr(0, end);
        if (!tag.empty() && tagged(object, tag)) return true;
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
      }
      return false;
    });
  } else if (const std::string_view pattern = head.headers.get("purge-regex"); !pattern.empty()) {
    const re2::RE2 regex(pattern, re2::RE2::Quiet);
    if (!regex.ok()) {
      return ctx.respond({.status = 400, .detail = "the Purge-Regex is not a valid expression"});
    }
    purged = cache_.ban_if([&](std::string_view key, const cache::StoredObject& /*object*/) {
      return same_host(key) && re2::RE2::PartialMatch(cache::key_path(key), regex);
    });
  } else if (head.path.ends_with('*')) {
    const std::string prefix =
        cache::key_prefix(scheme, head.host(), head.path.substr(0, head.path.size() - 1));
    purged = cache_.ban_if([&](std::string_view key, const cache::StoredObject& /*object*/) {
      return key.starts_with(prefix);
    });
  } else {
    purged = cache_.purge(
        cache::primary_key(scheme, head.host(), head.path, head.headers, settings_.key));
  }
  const std::string body = "{\"purged\":" + std::to_string(purged) + "}\n";
  return ctx.respond({.status = 200, .body = body, .content_type = "application/json"});
}

}  // namespace bulwark::filters
