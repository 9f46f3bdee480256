#pragma once
// "Did you mean ...?" for misspelt keys and names.

#include <span>
#include <string>
#include <string_view>

namespace bulwark::config {

// Levenshtein distance (insert, delete, substitute; case-insensitive).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo (about a third of
// the word's letters wrong at most), else one that starts with `word`; empty when none is.
[[nodiscard]] std::string closest_match(std::string_view word,
                                        std::span<const std::string_view> candidates);

// "did you mean 'x'?" or empty.
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       std::span<const std::string_view> candidates);

}  // namespace bulwark::config
