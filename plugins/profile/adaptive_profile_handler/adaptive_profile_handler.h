#pragma once

#include <string>
#include <vector>

#include "epp/cpp/plugin.h"
#include "plugins/profile/adaptive_profile_handler/adaptive_rules.h"

namespace epp::plugins {

// adaptive-profile-handler: runs one of several scheduling profiles per request, chosen by
// rules on the request (priority) and on the live pool (mean KV-cache use, queue depth or
// in-flight requests per endpoint, with hysteresis). See README.md.
class AdaptiveProfileHandler : public cpp::Plugin, public cpp::ProfileHandler {
 public:
  explicit AdaptiveProfileHandler(const cpp::CreateContext& ctx);
  void pickProfiles(const cpp::Request& request, std::span<const std::string_view> names,
                    const cpp::ProfileResults& results, std::span<uint8_t> run) override;
  size_t processResults(const cpp::Request& request, const cpp::ProfileResults& results) override;

 private:
  adaptive::PoolSignals poolSignals(const cpp::Request& request) const;
  void switched(const std::string& from, const std::string& to);

  adaptive::Rules rules_;
  bool needsPool_ = false;
  cpp::Metric active_;    // eppd_adaptive_profile_active{profile}
  cpp::Metric switches_;  // eppd_adaptive_profile_switches_total{from, to}
  // eppd_adaptive_profile_requests_total{profile, rule}: per rule, then the default.
  std::vector<cpp::Series> chosenByRule_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppAdaptiveProfileHandlerEntry(const epp_entry_args* args);
