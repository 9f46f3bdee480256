#include "router/route_table.h"

namespace bulwark::router {
namespace {

// Up to this many regex paths are tried one by one, in order, stopping at the first that holds:
// cheaper than a set, which finds every match in two passes (see find_regex).
constexpr std::size_t kRegexesInOrder = 16;
// The memory budget of the set's automaton. It is built lazily as paths are looked up; should it
// run out anyway, the regexes are tried one by one.
constexpr std::int64_t kRegexSetMemory = std::int64_t{64} << 20;

}  // namespace

RouteTable::RouteTable(const std::vector<config::Route>& routes) {
  conditions_.reserve(routes.size());
  for (std::uint32_t i = 0; i < routes.size(); ++i) {
    const config::RouteMatch& match = routes[i].match;
    conditions_.emplace_back(match);
    switch (match.path_kind) {
      case config::PathMatchKind::kPrefix:
        paths_.add_prefix(match.path, i);
        break;
      case config::PathMatchKind::kExact:
        paths_.add_exact(match.path, i);
        break;
      case config::PathMatchKind::kRegex:
        regexes_.push_back({i, std::make_unique<RE2>(match.path, RE2::Quiet)});
        break;
    }
  }
  if (regexes_.size() <= kRegexesInOrder) return;
  RE2::Options options(RE2::Quiet);
  options.set_max_mem(kRegexSetMemory);
  auto set = std::make_unique<RE2::Set>(options, RE2::ANCHOR_BOTH);
  for (const RegexRoute& regex : regexes_) {
    // Set indices must stay aligned with regexes_: a pattern the loader would have refused leaves
    // the routes to be tried one by one.
    if (!regex.regex->ok() || set->Add(regex.regex->pattern(), nullptr) < 0) return;
  }
  if (set->Compile()) regex_set_ = std::move(set);
}

std::uint32_t RouteTable::find(const RouteQuery& request) const {
  const std::size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query = question == std::string_view::npos
                                     ? std::string_view{}
                                     : request.target.substr(question + 1);
  std::uint32_t best = kNoRoute;
  paths_.match(path, [&](std::span<const std::uint32_t> candidates) {
    for (const std::uint32_t route : candidates) {
      if (route >= best) return;
      if (conditions_[route].hold(request, query)) {
        best = route;
        return;
      }
    }
  });
  if (!regexes_.empty() && regexes_.front().route < best) {
    best = find_regex(request, path, query, best);
  }
  return best;
}

std::uint32_t RouteTable::find_regex(const RouteQuery& request, std::string_view path,
                                     std::string_view query, std::uint32_t best) const {
  if (!regex_set_) return find_regex_in_order(request, path, query, best);
  // Asking only whether any regex matches stops at the first match and allocates nothing; the
  // pass that lists the matches allocates inside RE2, so it runs only when there are some.
  RE2::Set::ErrorInfo error{};
  if (!regex_set_->Match(path, nullptr, &error)) {
    return error.kind == RE2::Set::kNoError ? best
                                            : find_regex_in_order(request, path, query, best);
  }
  // Reused per thread: its capacity survives between lookups.
  thread_local std::vector<int> matched;
  if (!regex_set_->Match(path, &matched, &error)) {
    return find_regex_in_order(request, path, query, best);
  }
  for (const int index : matched) {
    const std::uint32_t route = regexes_[static_cast<std::size_t>(index)].route;
    if (route < best && conditions_[route].hold(request, query)) best = route;
  }
  return best;
}

std::uint32_t RouteTable::find_regex_in_order(const RouteQuery& request, std::string_view path,
                                              std::string_view query, std::uint32_t best) const {
  for (const RegexRoute& regex : regexes_) {
    if (regex.route >= best) break;
    if (RE2::FullMatch(path, *regex.regex) && conditions_[regex.route].hold(request, query)) {
      return regex.route;
    }
  }
  return best;
}

}  // namespace bulwark::router
