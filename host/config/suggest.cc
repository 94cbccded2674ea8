#include "host/config/suggest.h"

#include <algorithm>
#include <vector>

namespace epp::config {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

size_t editDistance(std::string_view a, std::string_view b) {
  // Three rows suffice for the transposition term.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closestName(std::string_view name,
                                       const std::vector<std::string_view>& candidates,
                                       size_t maxDistance) {
  std::optional<std::string> best;
  size_t bestDistance = maxDistance + 1;
  for (std::string_view candidate : candidates) {
    if (candidate == name) continue;
    size_t distance = editDistance(name, candidate);
    // A one-letter name is within distance 2 of every short word; such guesses mislead.
    if (distance >= std::max(name.size(), candidate.size())) continue;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = std::string(candidate);
    }
  }
  if (best || name.size() < 4) return best;
  // A truncated name ("data" for "dataLayer", "queue" for "queue-scorer"), when only one
  // candidate starts with it.
  for (std::string_view candidate : candidates) {
    if (candidate.size() <= name.size()) continue;
    if (editDistance(candidate.substr(0, name.size()), name) != 0) continue;
    if (best) return std::nullopt;
    best = std::string(candidate);
  }
  return best;
}

std::string didYouMean(std::string_view name, const std::vector<std::string_view>& candidates) {
  auto best = closestName(name, candidates);
  return best ? " (did you mean '" + *best + "'?)" : std::string();
}

}  // namespace epp::config
