#pragma once
// The primary cache key of a request (RFC 9111 §2: at least the method and target URI): scheme,
// host (lower-cased, without a default port) and path with query, plus what the configuration
// adds. Only GET and HEAD use the cache and HEAD is answered from GET's responses, so the method
// is not part of it. The parts are separated by bytes that cannot occur in them, so that no two
// different requests make the same key.

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace bulwark::cache {

struct KeyRules {
  enum class Query : std::uint8_t {
    kKeep,    // as sent
    kSort,    // parameters sorted, so that ?a=1&b=2 and ?b=2&a=1 share an entry
    kIgnore,  // left out entirely
  };
  Query query = Query::kKeep;
  std::vector<std::string> ignore_params;  // left out of the query (utm_source, ...)
  std::vector<std::string> headers;        // request fields added to the key (lower-case)
  std::vector<std::string> cookies;        // cookie values added to the key
};

// `path` is the normalised origin-form path with query that routing saw.
std::string primary_key(std::string_view scheme, std::string_view host, std::string_view path,
                        const http::HeaderMap& request, const KeyRules& rules);

// The start shared by the primary keys of every path that begins with `path_prefix` on that
// scheme and host (a ban by prefix).
std::string key_prefix(std::string_view scheme, std::string_view host,
                       std::string_view path_prefix);

// The path (with query) part of a primary key.
std::string_view key_path(std::string_view primary_key) noexcept;

}  // namespace bulwark::cache
