// core/closest_name.hpp: "did you mean ...?" for a misspelt key, flag or section name.
// Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smartlog::core {

// Levenshtein distance between `a` and `b`, counting at most `cap` (returns cap + 1 beyond it);
// O(|a| * |b|) time, O(|b|) space. Callers pass short names only.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap);

// The candidate closest to `typed`, when it is close enough to be a typo: at most 2 edits, and
// about a third of the longer name's letters ("lvl" is "level"). Ties go to the first candidate.
std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string>& candidates);

}  // namespace smartlog::core
