#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// single-profile-handler: runs the config's one scheduling profile once and makes its result
// primary. More (or fewer) than one profile is an error on every request: such a config
// needs a multi-profile handler.
class SingleProfileHandler : public cpp::Plugin, public cpp::ProfileHandler {
 public:
  explicit SingleProfileHandler(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void pickProfiles(const cpp::Request& request, std::span<const std::string_view> names,
                    const cpp::ProfileResults& results, std::span<uint8_t> run) override;
  size_t processResults(const cpp::Request& request, const cpp::ProfileResults& results) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppSingleProfileHandlerEntry(const epp_entry_args* args);
