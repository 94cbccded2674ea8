#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "epp/cpp/plugin.h"
#include "plugins/profile/disagg_profile_handler/disagg_config.h"

namespace epp::plugins {

// disagg-profile-handler (and its deprecated alias pd-profile-handler): prefill/decode
// disaggregation. Runs the decode profile, then, when its decider says the decode endpoint
// would compute enough of the prompt itself, the prefill profile; the decode result is
// primary and the prefill endpoint goes upstream in x-prefiller-host-port.
class DisaggProfileHandler : public cpp::Plugin, public cpp::ProfileHandler {
 public:
  explicit DisaggProfileHandler(const cpp::CreateContext& ctx);
  void pickProfiles(const cpp::Request& request, std::span<const std::string_view> names,
                    const cpp::ProfileResults& results, std::span<uint8_t> run) override;
  size_t processResults(const cpp::Request& request, const cpp::ProfileResults& results) override;

 private:
  void checkProfiles(const cpp::Request& request, std::span<const std::string_view> names) const;
  bool wantsPrefill(const cpp::Request& request, const cpp::Endpoint& decode);
  std::optional<double> cachedTokens(const cpp::Request& request,
                                     const cpp::Endpoint& endpoint) const;
  bool thresholdVerdict(const cpp::Request& request, std::optional<double> cached) const;
  void countDecision(const cpp::Request& request, bool disaggregated);

  bool legacyType_;
  DisaggConfig config_;
  std::string deciderKey_;
  cpp::Metric decisions_;
  std::mutex seriesMutex_;
  // decode-only and prefill-decode series by model.
  std::unordered_map<std::string, std::pair<cpp::Series, cpp::Series>> series_;
  std::atomic<bool> warnedNoPrefixData_{false};
};

}  // namespace epp::plugins
