#include "plugins/profile/single_profile_handler/single_profile_handler.h"

#include <string>

#include "plugins/common/one_primary_result.h"

namespace epp::plugins {

void SingleProfileHandler::pickProfiles(const cpp::Request&,
                                        std::span<const std::string_view> names,
                                        const cpp::ProfileResults& results,
                                        std::span<uint8_t> run) {
  if (names.size() != 1) {
    // The reference rejects this at config load; a plugin cannot see the config, so it is
    // refused here, on the first request, with the same advice.
    std::string listed;
    for (std::string_view name : names) {
      listed += (listed.empty() ? "" : ", ") + std::string(name);
    }
    throw cpp::Error(
        "single-profile-handler needs exactly one scheduling profile, the config has " +
        std::to_string(names.size()) + (listed.empty() ? "" : " (" + listed + ")") +
        "; use a multi-profile handler such as pd-profile-handler");
  }
  if (results.size() == 0) run[0] = 1;  // once run, nothing more to do
}

size_t SingleProfileHandler::processResults(const cpp::Request&,
                                            const cpp::ProfileResults& results) {
  return onePrimaryResult("single-profile-handler", results);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppSingleProfileHandlerEntry, "single-profile-handler", "1.0.0",
                    "Runs the one scheduling profile",
                    EPP_TYPE(epp::plugins::SingleProfileHandler, "single-profile-handler",
                             "runs the config's only profile once; its result is primary"))
