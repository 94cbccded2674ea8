#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// least-request-picker: the candidates with the fewest outstanding requests, fewest first
// (`maxNumOfEndpoints`, default 1). `source: inflight` (default) counts the requests eppd
// has routed there and not yet completed; `source: metrics` the waiting + running requests
// the server reports. Ties go to the higher score, then at random.
class LeastRequestPicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit LeastRequestPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
  bool fromMetrics_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLeastRequestPickerEntry(const epp_entry_args* args);
