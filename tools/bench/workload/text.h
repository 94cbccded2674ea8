// File: tools/bench/workload/text.h
//
// Filler text for synthetic prompts: English-looking words drawn from a seeded stream, cut
// to exactly 4 characters per token (the tokens ≈ characters / 4 rule the simulator and
// the replay share). Distinct seeds differ from their first word on, so distinct prompts
// never share a leading cache block by accident.
#pragma once

#include <cstdint>
#include <string>

namespace epp::bench {

inline constexpr uint32_t kCharsPerToken = 4;

// Exactly tokens * kCharsPerToken characters, the same for the same seed.
std::string syntheticText(uint64_t seed, uint32_t tokens);

}  // namespace epp::bench
