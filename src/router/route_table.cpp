#include "router/route_table.h"

#include <algorithm>
#include <array>
#include <string>

namespace bulwark::router {
namespace {

// What every full match of `regex` starts with: the common start of the least and the greatest
// string it can match, since any match lies between them. Empty when RE2 cannot tell.
std::string literal_start(const RE2& regex) {
  constexpr int kLongest = 128;
  std::string least;
  std::string greatest;
  if (!regex.ok() || !regex.PossibleMatchRange(&least, &greatest, kLongest)) return {};
  const auto end = std::mismatch(least.begin(), least.end(), greatest.begin(), greatest.end());
  return {least.begin(), end.first};
}

}  // namespace

RouteTable::RouteTable(const std::vector<config::Route>& routes) {
  conditions_.reserve(routes.size());
  for (std::uint32_t i = 0; i < routes.size(); ++i) {
    const config::RouteMatch& match = routes[i].match;
    conditions_.emplace_back(match);
    switch (match.path_kind) {
      case config::PathMatchKind::kPrefix:
        paths_.at(match.path).prefix_routes.push_back(i);
        break;
      case config::PathMatchKind::kExact:
        paths_.at(match.path).exact_routes.push_back(i);
        break;
      case config::PathMatchKind::kRegex: {
        // The loader refused patterns RE2 rejects; one that slipped through never matches.
        const RE2& regex = *regexes_.emplace_back(std::make_unique<RE2>(match.path, RE2::Quiet));
        paths_.at(literal_start(regex)).regexes.add(i, regex);
        break;
      }
    }
  }
  paths_.for_each([](Slot& slot) { slot.regexes.seal(); });
}

std::uint32_t RouteTable::find(const RouteQuery& request) const {
  const std::size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : request.target.substr(question + 1);
  std::uint32_t best = kNoRoute;
  const auto first_holding = [&](const std::vector<std::uint32_t>& candidates) {
    for (const std::uint32_t route : candidates) {
      if (route >= best) return;
      if (conditions_[route].hold(request, query)) {
        best = route;
        return;
      }
    }
  };
  // Regexes cost the most: they wait until the plain paths have lowered `best`, which often
  // rules them out without running them.
  std::array<const RegexGroup*, 8> regex_groups{};
  std::size_t waiting = 0;
  paths_.walk(path, [&](const Slot& slot, bool whole) {
    first_holding(slot.prefix_routes);
    if (whole) first_holding(slot.exact_routes);
    if (slot.regexes.empty()) return;
    if (waiting < regex_groups.size()) {
      regex_groups[waiting++] = &slot.regexes;
    } else {
      best = slot.regexes.find(path, request, query, conditions_, best);
    }
  });
  for (std::size_t i = 0; i < waiting; ++i)
    best = regex_groups[i]->find(path, request, query, conditions_, best);
  return best;
}

}  // namespace bulwark::router
