#pragma once
// Rewrites the path of a routed request (a proxy route's prefix_rewrite or regex_rewrite, a
// redirect's or static route's prefix_rewrite). Built once per route per snapshot: the regex is
// compiled at load, never per request. The query is not part of the rewrite and is kept.

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace bulwark::router {

class PathRewriter {
 public:
  // Replaces the route's matched prefix with `replacement`.
  static PathRewriter prefix(std::string matched_prefix, std::string replacement);
  // Replaces every match of `pattern` (RE2) in the path with `substitution` (\1..\9 for groups).
  // nullopt when the pattern does not compile (the loader has reported it).
  static std::optional<PathRewriter> regex(const std::string& pattern, std::string substitution);
  // The rewriter a proxy action asks for, if any.
  static std::optional<PathRewriter> for_proxy(const config::ProxyAction& action,
                                               const config::RouteMatch& match);

  // `target` is a path with an optional query; returns the rewritten path with the same query.
  [[nodiscard]] std::string apply(std::string_view target) const;

 private:
  PathRewriter() = default;

  std::string matched_prefix_;
  std::string replacement_;
  std::shared_ptr<const re2::RE2> regex_;  // shared: snapshots copy route runtimes
};

}  // namespace bulwark::router
