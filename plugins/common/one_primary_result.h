// File: plugins/common/one_primary_result.h
//
// process_results of a profile handler that runs exactly one profile per request
// (single-profile-handler, adaptive-profile-handler): that result is primary; anything else
// is an error naming `handler`, and a profile that found no endpoint is EPP_ERR_UNAVAILABLE.
#pragma once

#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

inline size_t onePrimaryResult(const char* handler, const cpp::ProfileResults& results) {
  if (results.size() != 1) {
    throw cpp::Error(std::string(handler) + " expects one profile result, got " +
                     std::to_string(results.size()));
  }
  if (!results[0].ok()) {
    throw cpp::Error(
        "scheduling profile '" + std::string(results[0].profileName()) + "' found no endpoint",
        EPP_ERR_UNAVAILABLE);
  }
  return 0;
}

}  // namespace epp::plugins
