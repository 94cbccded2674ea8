#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// power-of-two-picker: draws two distinct candidates at random and keeps the one with the
// higher score (the "power of two choices"); each fallback is another such draw among the
// candidates not yet picked (`maxNumOfEndpoints`, default 1).
class PowerOfTwoPicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit PowerOfTwoPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppPowerOfTwoPickerEntry(const epp_entry_args* args);
