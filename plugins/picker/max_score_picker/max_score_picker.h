#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// max-score-picker: picks the `maxNumOfEndpoints` (default 1) highest-scored candidates,
// highest first; equal scores are ordered at random (request's generator).
class MaxScorePicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit MaxScorePicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppMaxScorePickerEntry(const epp_entry_args* args);
