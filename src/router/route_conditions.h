#pragma once
// The conditions of a route besides its path: methods, headers, query parameters and client
// networks, with their regexes compiled once. A route without any holds for every request, and
// checking it costs one branch.

#include <re2/re2.h>

#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "router/route_query.h"

namespace bulwark::router {

class RouteConditions {
 public:
  // Refers to `match`, which must outlive this (both live as long as the config snapshot).
  explicit RouteConditions(const config::RouteMatch& match);

  // `query` is the target's query without the '?' (empty when there is none).
  [[nodiscard]] bool hold(const RouteQuery& request, std::string_view query) const {
    return unconditional_ || check(request, query);
  }

 private:
  // A header or query parameter condition.
  struct ValueCondition {
    const config::ValueMatch* spec;
    std::unique_ptr<RE2> regex;  // for ValueMatchKind::kRegex

    [[nodiscard]] bool accepts(std::string_view value) const;
  };

  [[nodiscard]] bool check(const RouteQuery& request, std::string_view query) const;
  [[nodiscard]] static bool header_holds(const ValueCondition& condition,
                                         const http::HeaderMap* headers);
  [[nodiscard]] static bool query_holds(const ValueCondition& condition, std::string_view query);

  const config::RouteMatch* match_;
  std::vector<ValueCondition> headers_;
  std::vector<ValueCondition> query_;
  bool unconditional_;
};

}  // namespace bulwark::router
