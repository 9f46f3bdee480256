#include "config/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace bulwark::config {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the classic dynamic programme is enough.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view word, std::span<const std::string_view> candidates) {
  // A short word gets at least one edit, so "prot" still finds "port".
  const std::size_t allowed = std::max<std::size_t>(1, (word.size() + 2) / 3);
  std::string_view best;
  std::size_t best_distance = allowed + 1;
  for (const std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best.empty() && word.size() >= 3) {
    // A shortened key ("max_body" for "max_body_bytes") is too many edits away but plain enough.
    for (const std::string_view candidate : candidates) {
      if (candidate.size() > word.size() &&
          edit_distance(candidate.substr(0, word.size()), word) == 0) {
        return std::string(candidate);
      }
    }
  }
  return std::string(best);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string match = closest_match(word, candidates);
  if (match.empty()) return {};
  return fmt::format("did you mean '{}'?", match);
}

}  // namespace bulwark::config
