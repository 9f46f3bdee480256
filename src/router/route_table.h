#pragma once
// The routes of one virtual host, indexed so that finding the first match costs about the same
// for 10 routes as for 10,000. The path tree (exact and prefix paths) and the regex paths give
// the candidate routes; the lowest-numbered candidate whose other conditions hold wins, which is
// what trying the routes in order would pick.

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "router/path_tree.h"
#include "router/route_conditions.h"
#include "router/route_query.h"

namespace bulwark::router {

class RouteTable {
 public:
  static constexpr std::uint32_t kNoRoute = std::numeric_limits<std::uint32_t>::max();

  // Refers to `routes`, which must outlive this.
  explicit RouteTable(const std::vector<config::Route>& routes);

  // The index of the first route that matches, or kNoRoute.
  [[nodiscard]] std::uint32_t find(const RouteQuery& request) const;

 private:
  struct RegexRoute {
    std::uint32_t route;
    std::unique_ptr<RE2> regex;
  };

  // The lowest regex route below `best` that matches, or `best`.
  [[nodiscard]] std::uint32_t find_regex(const RouteQuery& request, std::string_view path,
                                         std::string_view query, std::uint32_t best) const;
  [[nodiscard]] std::uint32_t find_regex_in_order(const RouteQuery& request, std::string_view path,
                                                  std::string_view query,
                                                  std::uint32_t best) const;

  PathTree paths_;
  std::vector<RouteConditions> conditions_;  // per route
  std::vector<RegexRoute> regexes_;          // ascending by route
  // All of regexes_ in one automaton, when there are too many to try one by one.
  std::unique_ptr<RE2::Set> regex_set_;
};

}  // namespace bulwark::router
