#pragma once
// Regex paths that share a literal start (route_table.h files them under it), tried together:
// one by one in route order while they are few, through one RE2::Set when there are many.

#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "router/route_conditions.h"
#include "router/route_query.h"

namespace bulwark::router {

class RegexGroup {
 public:
  // Routes are added in ascending order. `regex` must outlive the group.
  void add(std::uint32_t route, const RE2& regex) { members_.push_back({route, &regex}); }
  // Called once all routes are added.
  void seal();

  [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
  [[nodiscard]] std::uint32_t first_route() const noexcept { return members_.front().route; }

  // The lowest route below `best` whose regex matches all of `path` and whose conditions
  // (indexed by route) hold; `best` when there is none.
  [[nodiscard]] std::uint32_t find(std::string_view path, const RouteQuery& request,
                                   std::string_view query,
                                   std::span<const RouteConditions> conditions,
                                   std::uint32_t best) const;

 private:
  struct Member {
    std::uint32_t route;
    const RE2* regex;
  };

  [[nodiscard]] std::uint32_t find_in_order(std::string_view path, const RouteQuery& request,
                                            std::string_view query,
                                            std::span<const RouteConditions> conditions,
                                            std::uint32_t best) const;

  std::vector<Member> members_;    // ascending by route
  std::unique_ptr<RE2::Set> set_;  // all of members_, when there are many
};

}  // namespace bulwark::router
