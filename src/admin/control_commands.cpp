#include "admin/control_commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "admin/endpoint_control.h"
#include "config/suggest.h"

namespace bulwark::admin {
namespace {

constexpr std::string_view kHelp =
    "endpoints [CLUSTER]                  list the endpoints: cluster, endpoint, state, health, "
    "ejected, ejections\n"
    "endpoint drain CLUSTER HOST:PORT     no new requests (sticky sessions excepted); requests in "
    "flight finish\n"
    "endpoint disable CLUSTER HOST:PORT   no requests at all\n"
    "endpoint enable CLUSTER HOST:PORT    take requests again\n"
    "help                                 this list";
constexpr std::string_view kEndpointUsage =
    "usage: endpoint drain|disable|enable CLUSTER HOST:PORT";

struct Action {
  std::string_view name;
  upstream::AdminState state;
};
constexpr std::array<Action, 3> kActions{{{"drain", upstream::AdminState::kDraining},
                                          {"disable", upstream::AdminState::kDisabled},
                                          {"enable", upstream::AdminState::kActive}}};

ControlAnswer ok() {
  return {true, "ok"};
}

ControlAnswer error(std::string_view what) {
  return {false, fmt::format("error: {}", what)};
}

// "unknown X 'word'; did you mean 'y'?" or "unknown X 'word'; TAIL".
ControlAnswer unknown(std::string_view what, std::string_view word,
                      std::span<const std::string_view> known, std::string_view tail) {
  std::string suggestion = config::did_you_mean(word, known);
  return error(fmt::format("unknown {} '{}'; {}", what, word,
                           suggestion.empty() ? tail : std::string_view(suggestion)));
}

// Aligned columns under a heading, so that people can read it and scripts can split it on
// blanks.
std::string table(const std::vector<EndpointStatus>& endpoints) {
  std::vector<std::array<std::string, 6>> rows;
  rows.reserve(endpoints.size() + 1);
  rows.push_back({"cluster", "endpoint", "state", "health", "ejected", "ejections"});
  for (const EndpointStatus& e : endpoints) {
    rows.push_back({e.cluster, e.identity, std::string(upstream::to_string(e.admin)),
                    e.healthy ? "healthy" : "unhealthy", e.ejected ? "yes" : "no",
                    std::to_string(e.ejections)});
  }
  std::array<std::size_t, 6> widths{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::string text;
  for (const auto& row : rows) {
    if (!text.empty()) text += '\n';
    for (std::size_t i = 0; i + 1 < row.size(); ++i)
      text += fmt::format("{:<{}}  ", row[i], widths[i]);
    text += row.back();
  }
  return text;
}

ControlAnswer endpoints(std::span<const std::string_view> args, const EndpointControl& control) {
  if (args.size() > 1) return error("usage: endpoints [CLUSTER]");
  auto listed = control.list(args.empty() ? std::nullopt : std::optional(args[0]));
  if (!listed) return error(listed.error());
  return {true, table(*listed)};
}

ControlAnswer endpoint(std::span<const std::string_view> args, const EndpointControl& control) {
  if (args.empty()) return error(kEndpointUsage);
  const auto action = std::ranges::find(kActions, args[0], &Action::name);
  if (action == kActions.end()) {
    std::array<std::string_view, kActions.size()> names{};
    std::ranges::transform(kActions, names.begin(), &Action::name);
    return unknown("action", args[0], names, kEndpointUsage);
  }
  if (args.size() != 3) return error(kEndpointUsage);
  auto set = control.set(args[1], args[2], action->state);
  if (!set) return error(set.error());
  return ok();
}

}  // namespace

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  constexpr std::string_view kBlanks = " \t\r";
  for (std::size_t at = line.find_first_not_of(kBlanks); at != std::string_view::npos;) {
    const std::size_t end = std::min(line.find_first_of(kBlanks, at), line.size());
    words.push_back(line.substr(at, end - at));
    at = line.find_first_not_of(kBlanks, end);
  }
  return words;
}

ControlAnswer run_control_command(std::string_view line,
                                  std::span<const upstream::Cluster> clusters) {
  const std::vector<std::string_view> words = words_of(line);
  if (words.empty()) return error("empty command; 'help' lists the commands");
  const std::string_view command = words[0];
  const std::span<const std::string_view> args = std::span(words).subspan(1);
  const EndpointControl control(clusters);
  if (command == "endpoints") return endpoints(args, control);
  if (command == "endpoint") return endpoint(args, control);
  if (command == "help") {
    if (!args.empty()) return error("usage: help");
    return {true, std::string(kHelp)};
  }
  static constexpr std::array<std::string_view, 3> kCommands{"endpoints", "endpoint", "help"};
  return unknown("command", command, kCommands, "'help' lists the commands");
}

}  // namespace bulwark::admin
