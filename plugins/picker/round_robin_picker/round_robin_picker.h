#pragma once

#include <atomic>
#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// round-robin-picker: takes the candidates in turn, ignoring scores. Each request advances
// one counter; the candidate at that position (candidates ordered by endpoint id) is the
// primary, the next ones are the fallbacks (`maxNumOfEndpoints`, default 1).
class RoundRobinPicker : public cpp::Plugin, public cpp::Picker {
 public:
  explicit RoundRobinPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;

 private:
  int64_t maxNumOfEndpoints_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppRoundRobinPickerEntry(const epp_entry_args* args);
