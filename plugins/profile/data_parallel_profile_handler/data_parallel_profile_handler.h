#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// data-parallel-profile-handler: for model servers that run one engine rank per port behind
// a routing sidecar on the pod's primary port. Runs the config's one profile; sends the
// chosen rank's ip:port in x-data-parallel-host-port and redirects the request to the same
// pod's `primaryPort` (default 8000; 0 keeps the picked ports).
class DataParallelProfileHandler : public cpp::Plugin, public cpp::ProfileHandler {
 public:
  explicit DataParallelProfileHandler(const cpp::CreateContext& ctx);
  void pickProfiles(const cpp::Request& request, std::span<const std::string_view> names,
                    const cpp::ProfileResults& results, std::span<uint8_t> run) override;
  size_t processResults(const cpp::Request& request, const cpp::ProfileResults& results) override;

 private:
  int64_t primaryPort_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppDataParallelProfileHandlerEntry(const epp_entry_args* args);
