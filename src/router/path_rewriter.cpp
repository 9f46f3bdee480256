#include "router/path_rewriter.h"

namespace bulwark::router {

PathRewriter PathRewriter::prefix(std::string matched_prefix, std::string replacement) {
  PathRewriter rewriter;
  rewriter.matched_prefix_ = std::move(matched_prefix);
  rewriter.replacement_ = std::move(replacement);
  return rewriter;
}

std::optional<PathRewriter> PathRewriter::regex(const std::string& pattern,
                                                std::string substitution) {
  auto compiled = std::make_shared<const re2::RE2>(pattern, re2::RE2::Quiet);
  if (!compiled->ok()) return std::nullopt;
  PathRewriter rewriter;
  rewriter.regex_ = std::move(compiled);
  rewriter.replacement_ = std::move(substitution);
  return rewriter;
}

std::optional<PathRewriter> PathRewriter::for_proxy(const config::ProxyAction& action,
                                                    const config::RouteMatch& match) {
  if (action.prefix_rewrite) return prefix(match.path, *action.prefix_rewrite);
  if (action.regex_rewrite) {
    return regex(action.regex_rewrite->pattern, action.regex_rewrite->substitution);
  }
  return std::nullopt;
}

std::string PathRewriter::apply(std::string_view target) const {
  const std::size_t query_at = target.find('?');
  const std::string_view path = target.substr(0, query_at);
  const std::string_view query =
      query_at == std::string_view::npos ? std::string_view() : target.substr(query_at);
  std::string out;
  if (regex_) {
    out.assign(path);
    re2::RE2::GlobalReplace(&out, *regex_, replacement_);
  } else {
    // The router matched the prefix, so the path starts with it.
    out = replacement_;
    out.append(path.substr(std::min(matched_prefix_.size(), path.size())));
  }
  // An empty replacement for the whole path (or a regex result without one) still needs the
  // leading slash of an origin-form target.
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  out.append(query);
  return out;
}

}  // namespace bulwark::router
