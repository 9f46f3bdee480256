#include "router/route_conditions.h"

#include <algorithm>
#include <array>
#include <string>

#include "router/query_string.h"

namespace bulwark::router {

RouteConditions::RouteConditions(const config::RouteMatch& match)
    : match_(&match),
      unconditional_(match.methods.empty() && match.headers.empty() && match.query.empty() &&
                     match.networks.empty()) {
  const auto compile = [](const std::vector<config::ValueMatch>& specs,
                          std::vector<ValueCondition>& out) {
    out.reserve(specs.size());
    for (const config::ValueMatch& spec : specs) {
      ValueCondition& condition = out.emplace_back(ValueCondition{&spec, nullptr});
      // The loader refused patterns RE2 rejects; one that slipped through never matches.
      if (spec.kind == config::ValueMatchKind::kRegex) {
        condition.regex = std::make_unique<RE2>(spec.value, RE2::Quiet);
      }
    }
  };
  compile(match.headers, headers_);
  compile(match.query, query_);
}

bool RouteConditions::ValueCondition::accepts(std::string_view value) const {
  switch (spec->kind) {
    case config::ValueMatchKind::kPresent:
      return true;
    case config::ValueMatchKind::kExact:
      return value == spec->value;
    case config::ValueMatchKind::kRegex:
      return RE2::FullMatch(value, *regex);
  }
  return false;
}

bool RouteConditions::check(const RouteQuery& request, std::string_view query) const {
  const config::RouteMatch& match = *match_;
  if (!match.methods.empty() && std::find(match.methods.begin(), match.methods.end(),
                                          request.method) == match.methods.end()) {
    return false;
  }
  if (!match.networks.empty() &&
      std::none_of(match.networks.begin(), match.networks.end(),
                   [&](const net::Cidr& cidr) { return cidr.contains(request.client); })) {
    return false;
  }
  for (const ValueCondition& condition : headers_) {
    if (!header_holds(condition, request.headers)) return false;
  }
  for (const ValueCondition& condition : query_) {
    if (!query_holds(condition, query)) return false;
  }
  return true;
}

// A name that occurs several times matches when one of its values does (and, inverted, when
// none does): a client cannot slip past `invert` by repeating a field.
bool RouteConditions::header_holds(const ValueCondition& condition,
                                   const http::HeaderMap* headers) {
  bool found = false;
  if (headers != nullptr) {
    for (const http::HeaderField& field : *headers) {
      if (http::iequals(field.name, condition.spec->name) && condition.accepts(field.value)) {
        found = true;
        break;
      }
    }
  }
  return found != condition.spec->invert;
}

bool RouteConditions::query_holds(const ValueCondition& condition, std::string_view query) {
  // Values up to this long decode on the stack; longer ones (rare) into a string.
  constexpr std::size_t kStackValue = 512;
  const config::ValueMatch& spec = *condition.spec;
  bool found = false;
  QueryParams params(query);
  for (QueryParam param; !found && params.next(param);) {
    if (!decodes_to(param.name, spec.name)) continue;
    switch (spec.kind) {
      case config::ValueMatchKind::kPresent:
        found = true;
        break;
      case config::ValueMatchKind::kExact:
        found = decodes_to(param.value, spec.value);
        break;
      case config::ValueMatchKind::kRegex:
        if (param.value.size() <= kStackValue) {
          // Left uninitialised: percent_decode writes every byte that is read.
          // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
          std::array<char, kStackValue> buffer;
          const std::size_t size = percent_decode(param.value, buffer.data());
          found = condition.accepts({buffer.data(), size});
        } else {
          std::string buffer(param.value.size(), '\0');
          buffer.resize(percent_decode(param.value, buffer.data()));
          found = condition.accepts(buffer);
        }
        break;
    }
  }
  return found != spec.invert;
}

}  // namespace bulwark::router
