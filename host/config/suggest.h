// File: host/config/suggest.h
//
// "Did you mean …?" for misspelt keys, plugin names and types.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace epp::config {

// Optimal-string-alignment distance (insertions, deletions, substitutions and adjacent
// transpositions each cost 1), ASCII case-insensitive.
size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `name` within `maxDistance` (first one on a tie), excluding
// `name` itself; failing that, the only candidate that starts with `name` (4 characters
// or more); nullopt otherwise.
std::optional<std::string> closestName(std::string_view name,
                                       const std::vector<std::string_view>& candidates,
                                       size_t maxDistance = 2);

// " (did you mean 'x'?)" or "".
std::string didYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace epp::config
