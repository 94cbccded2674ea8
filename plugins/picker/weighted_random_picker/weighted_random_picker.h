#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// weighted-random-picker: picks `maxNumOfEndpoints` (default 1) distinct candidates at random
// with probability proportional to score, without replacement (A-Res: key = u^(1/score), the
// largest keys win). Candidates scoring 0 come only after every positive one; when no score
// is positive the pick is uniform.
class WeightedRandomPicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit WeightedRandomPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppWeightedRandomPickerEntry(const epp_entry_args* args);
