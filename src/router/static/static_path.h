#pragma once
// From a request path to a file name below a static root: the route's prefix rewritten, the
// percent-encoding decoded once, the dot segments resolved, and everything refused that could
// name something outside the root or that the root hides.
//
// Refused as not found (404, so that nothing about the file system shows): an encoded slash
// (%2F: a name cannot contain one, and decoding it would change the path's shape after the
// router saw it), ".." that climbs above the root, and a segment starting with '.' unless the
// action allows dotfiles. Refused as a bad request (400): malformed percent-encoding and NUL.

#include <cstdint>
#include <expected>
#include <memory_resource>
#include <string>
#include <string_view>

#include "config/config.h"

namespace bulwark::router {

struct StaticPath {
  explicit StaticPath(std::pmr::memory_resource* memory) : relative(memory) {}

  // Below the root, segments joined by '/', no leading '/': "css/site.css"; "" is the root.
  std::pmr::string relative;
  // The URL names a directory (ends with '/', or with a "." or ".." segment): a directory is
  // served through its index; a file is not found.
  bool directory_form = false;
};

enum class PathRefusal : std::uint8_t { kBadRequest, kNotFound };

// `path` is the request's path without its query. `match` is the route's: with prefix_rewrite
// set, its matched prefix is replaced by the rewrite before mapping.
std::expected<StaticPath, PathRefusal> map_static_path(
    std::string_view path, const config::StaticAction& action, const config::RouteMatch& match,
    std::pmr::memory_resource* memory = std::pmr::get_default_resource());

// Where to send a client that asked for a directory without the trailing slash: the path as it
// came, with '/' appended and the query kept. Leading slashes collapse into one, so that "//host"
// cannot become a redirect to another site.
std::pmr::string directory_location(std::string_view path, std::string_view query,
                                    std::pmr::memory_resource* memory);

}  // namespace bulwark::router
