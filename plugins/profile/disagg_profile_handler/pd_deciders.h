#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// prefix-based-pd-decider: prefill runs on a separate endpoint when the part of the prompt
// the decode endpoint does not hold in its prefix cache is at least `nonCachedTokens` tokens
// (0, the default, disables disaggregation); `promptTokens` (default 0: off) skips prompts
// shorter than that. See pd_decider_data.h for how the handler learns the verdict.
class PrefixBasedPdDecider : public cpp::Plugin, public cpp::PrepareRequestHook {
 public:
  explicit PrefixBasedPdDecider(const cpp::CreateContext& ctx);
  void prepareRequest(const cpp::Request& request, const cpp::EndpointList& candidates) override;

 private:
  std::string key_;
  int64_t nonCachedTokens_;
  int64_t promptTokens_;
};

// always-disagg-pd-decider: prefill always runs on a separate endpoint.
class AlwaysDisaggPdDecider : public cpp::Plugin, public cpp::PrepareRequestHook {
 public:
  explicit AlwaysDisaggPdDecider(const cpp::CreateContext& ctx);
  void prepareRequest(const cpp::Request& request, const cpp::EndpointList& candidates) override;

 private:
  std::string key_;
};

}  // namespace epp::plugins
