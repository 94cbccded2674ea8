#pragma once

#include <limits>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"

// How the P/D deciders and disagg-profile-handler talk. The ABI lets no plugin call another
// instance, so a decider says what it decided through request data: before scheduling
// (prepare_request) it publishes, for every candidate, the most prompt tokens that endpoint
// may already hold in its KV cache for a prefill stage to still be worth it. After the
// decode profile picked endpoint E, the handler runs the prefill profile when E's matched
// prefix tokens (published by approx-prefix-cache-producer) are at most that value.
namespace epp::plugins::pd {

// Request-data key of the decider instance named `deciderName`.
inline std::string deciderKey(std::string_view deciderName) {
  return "pd-decider/" + std::string(deciderName);
}

// Published values with a fixed meaning: prefill whatever is cached, or not at all.
inline constexpr double kAlways = std::numeric_limits<double>::infinity();
inline constexpr double kNever = -1.0;

// Leading prompt tokens each candidate holds, as approx-prefix-cache-producer publishes them.
inline constexpr std::string_view kMatchedTokensKey = "prefix-cache/matched-tokens";

// Characters per token when the request carries no token ids (the reference's estimate).
inline constexpr size_t kCharactersPerToken = 4;

// The request's prompt length in tokens: its token ids when known, else characters / 4.
inline int64_t promptTokens(const cpp::Request& request) {
  if (!request.tokenIds().empty()) return static_cast<int64_t>(request.tokenIds().size());
  return static_cast<int64_t>(request.prompt().size() / kCharactersPerToken);
}

}  // namespace epp::plugins::pd
