#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// random-picker: picks `maxNumOfEndpoints` (default 1) distinct candidates uniformly at
// random (request's generator), ignoring scores.
class RandomPicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit RandomPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppRandomPickerEntry(const epp_entry_args* args);
