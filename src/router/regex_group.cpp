#include "router/regex_group.h"

namespace bulwark::router {
namespace {

// Up to this many regexes are tried one by one, in order, stopping at the first that holds:
// cheaper than a set, which finds every match in two passes (see find).
constexpr std::size_t kRegexesInOrder = 16;
// The memory budget of a set's automaton, which is built lazily as paths are looked up. Should
// it run out anyway, the regexes are tried one by one.
constexpr std::int64_t kSetMemory = std::int64_t{64} << 20;

}  // namespace

void RegexGroup::seal() {
  if (members_.size() <= kRegexesInOrder) return;
  RE2::Options options(RE2::Quiet);
  options.set_max_mem(kSetMemory);
  auto set = std::make_unique<RE2::Set>(options, RE2::ANCHOR_BOTH);
  for (const Member& member : members_) {
    // Set indices must stay aligned with members_: a pattern the loader would have refused
    // leaves the group to be tried one by one.
    if (!member.regex->ok() || set->Add(member.regex->pattern(), nullptr) < 0) return;
  }
  if (set->Compile()) set_ = std::move(set);
}

std::uint32_t RegexGroup::find(std::string_view path, const RouteQuery& request,
                               std::string_view query, std::span<const RouteConditions> conditions,
                               std::uint32_t best) const {
  if (members_.empty() || members_.front().route >= best) return best;
  if (!set_) return find_in_order(path, request, query, conditions, best);
  // Asking only whether any regex matches stops at the first match and allocates nothing; the
  // pass that lists the matches allocates inside RE2, so it runs only when there are some.
  RE2::Set::ErrorInfo error{};
  if (!set_->Match(path, nullptr, &error)) {
    return error.kind == RE2::Set::kNoError ? best
                                            : find_in_order(path, request, query, conditions, best);
  }
  // Reused per thread: its capacity survives between lookups.
  thread_local std::vector<int> matched;
  if (!set_->Match(path, &matched, &error)) {
    return find_in_order(path, request, query, conditions, best);
  }
  for (const int index : matched) {
    const std::uint32_t route = members_[static_cast<std::size_t>(index)].route;
    if (route < best && conditions[route].hold(request, query)) best = route;
  }
  return best;
}

std::uint32_t RegexGroup::find_in_order(std::string_view path, const RouteQuery& request,
                                        std::string_view query,
                                        std::span<const RouteConditions> conditions,
                                        std::uint32_t best) const {
  for (const Member& member : members_) {
    if (member.route >= best) break;
    if (RE2::FullMatch(path, *member.regex) && conditions[member.route].hold(request, query)) {
      return member.route;
    }
  }
  return best;
}

}  // namespace bulwark::router
