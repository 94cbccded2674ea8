#include "plugins/profile/data_parallel_profile_handler/data_parallel_profile_handler.h"

#include <algorithm>
#include <string>
#include <vector>

namespace epp::plugins {
namespace {

constexpr char kDataParallelHeader[] = "x-data-parallel-host-port";
constexpr char kDestinationHeader[] = "x-gateway-destination-endpoint";

std::string hostPort(std::string_view address, int64_t port) {
  const bool v6 = address.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(address) + "]" : std::string(address)) + ":" +
         std::to_string(port);
}

}  // namespace

DataParallelProfileHandler::DataParallelProfileHandler(const cpp::CreateContext& ctx)
    : Plugin(ctx), primaryPort_(ctx.params().getInt("primaryPort", 8000, 0, 65535)) {}

void DataParallelProfileHandler::pickProfiles(const cpp::Request&,
                                              std::span<const std::string_view> names,
                                              const cpp::ProfileResults& results,
                                              std::span<uint8_t> run) {
  if (names.size() != 1) {
    throw cpp::Error(
        "data-parallel-profile-handler needs exactly one scheduling profile, the "
        "config has " +
        std::to_string(names.size()));
  }
  if (results.size() == 0) run[0] = 1;
}

size_t DataParallelProfileHandler::processResults(const cpp::Request& request,
                                                  const cpp::ProfileResults& results) {
  if (results.size() != 1) {
    throw cpp::Error("data-parallel-profile-handler expects one profile result, got " +
                     std::to_string(results.size()));
  }
  const cpp::ProfileResult result = results[0];
  if (!result.ok() || result.targetCount() == 0) {
    throw cpp::Error(
        "scheduling profile '" + std::string(result.profileName()) + "' found no endpoint",
        EPP_ERR_UNAVAILABLE);
  }
  // The sidecar on the primary port forwards to the rank this header names.
  request.setHeader(kDataParallelHeader, result.target(0).hostPort());
  if (primaryPort_ != 0) {
    // Ranks of one pod share its primary port: each pod once, in pick order.
    std::vector<std::string> pods;
    for (size_t i = 0; i < result.targetCount(); ++i) {
      std::string pod = hostPort(result.target(i).address(), primaryPort_);
      if (std::find(pods.begin(), pods.end(), pod) == pods.end()) pods.push_back(std::move(pod));
    }
    std::string destinations;
    for (const std::string& pod : pods) destinations += (destinations.empty() ? "" : ",") + pod;
    request.setHeader(kDestinationHeader, destinations);
  }
  return 0;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppDataParallelProfileHandlerEntry, "data-parallel-profile-handler", "1.0.0",
                    "One profile; the chosen rank goes in x-data-parallel-host-port",
                    EPP_TYPE(epp::plugins::DataParallelProfileHandler,
                             "data-parallel-profile-handler",
                             "runs the one profile, sends the rank in x-data-parallel-host-port "
                             "and the request to the pod's primaryPort"))
